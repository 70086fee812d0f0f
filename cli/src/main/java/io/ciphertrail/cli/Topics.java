package io.ciphertrail.cli;

import io.ciphertrail.core.tls.TlsConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creating topics the local platform's commands write to, since the broker does not auto-create them. */
final class Topics {
    private Topics() {
    }

    /** Creates the topics that do not exist yet (one partition, the broker's default replication). */
    static void ensure(Map<String, Object> adminSettings, String... topics) {
        try (Admin admin = Admin.create(TlsConfig.secureClientConfigs(adminSettings))) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            for (String topic : topics) {
                if (!existing.contains(topic)) {
                    try {
                        admin.createTopics(List.of(new NewTopic(topic, 1, (short) -1))).all().get(30, TimeUnit.SECONDS);
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            throw e;
                        }
                    }
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot create topics " + List.of(topics) + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()) + ". Create them, or use an identity allowed to", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }

    /** The names of the topics the cluster has (that these settings may see). */
    static Set<String> names(Map<String, Object> settings) {
        try (Admin admin = Admin.create(TlsConfig.secureClientConfigs(settings))) {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while listing topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot list the topics: " + Errors.describe(e), e);
        }
    }
}
