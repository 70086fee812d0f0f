package io.ciphertrail.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Starts the cluster a {@link WithSecureKafka} class asks for and injects it. Clusters live in the
 * root store, so classes with equal settings share one and it is closed when the run ends.
 */
public final class SecureKafkaExtension implements ParameterResolver, ExecutionCondition {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SecureKafkaExtension.class);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        WithSecureKafka settings = settings(context);
        if (settings != null && settings.nodes() < 1) {
            throw new org.junit.platform.commons.PreconditionViolationException("@WithSecureKafka(nodes = " + settings.nodes()
                    + "): a cluster has at least one node");
        }
        if (settings != null && settings.runtime() == WithSecureKafka.Runtime.CONTAINER && settings.nodes() != 1) {
            throw new org.junit.platform.commons.PreconditionViolationException(
                    "@WithSecureKafka(runtime = CONTAINER) runs one node; use the EMBEDDED runtime for nodes = " + settings.nodes());
        }
        if (settings != null && settings.runtime() == WithSecureKafka.Runtime.CONTAINER && !ContainerSecureKafka.dockerAvailable()) {
            return ConditionEvaluationResult.disabled("No Docker engine is available for the container-based Kafka");
        }
        return ConditionEvaluationResult.enabled("Kafka can run");
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        WithSecureKafka settings = settings(context);
        if (settings == null) {
            return false;
        }
        boolean embedded = settings.runtime() == WithSecureKafka.Runtime.EMBEDDED;
        return type == SecureKafkaCluster.class
                || (type == EmbeddedSecureKafka.class && embedded && settings.nodes() == 1)
                || (type == MultiNodeSecureKafka.class && embedded && settings.nodes() > 1)
                || (type == ContainerSecureKafka.class && settings.runtime() == WithSecureKafka.Runtime.CONTAINER);
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        WithSecureKafka settings = settings(context);
        ExtensionContext.Store store = context.getRoot().getStore(NAMESPACE);
        return store.getOrComputeIfAbsent(key(settings), k -> start(settings), SecureKafkaCluster.class);
    }

    private static WithSecureKafka settings(ExtensionContext context) {
        return context.getTestClass()
                .flatMap(type -> AnnotationSupport.findAnnotation(type, WithSecureKafka.class))
                .orElse(null);
    }

    /** Equal settings, equal key: this is what lets classes share a broker. */
    private static String key(WithSecureKafka settings) {
        List<String> superUsers = Arrays.stream(settings.superUsers()).sorted().toList();
        List<String> properties = Arrays.stream(settings.brokerProperties()).sorted().toList();
        return settings.runtime() + "|" + settings.nodes() + "|" + settings.plaintextListener() + "|" + settings.authorizer()
                + "|" + superUsers + "|" + properties;
    }

    private static SecureKafkaCluster start(WithSecureKafka settings) {
        if (settings.runtime() == WithSecureKafka.Runtime.CONTAINER) {
            try {
                return ContainerSecureKafka.start(Files.createTempDirectory("ciphertrail-container-kafka-"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Map<String, String> brokerProperties = new LinkedHashMap<>();
        for (String property : settings.brokerProperties()) {
            int equals = property.indexOf('=');
            if (equals <= 0) {
                throw new ParameterResolutionException("@WithSecureKafka brokerProperties entries are key=value, got: " + property);
            }
            brokerProperties.put(property.substring(0, equals).trim(), property.substring(equals + 1).trim());
        }
        LocalKafkaBuilder<?> builder = settings.nodes() > 1 ? MultiNodeSecureKafka.builder().nodes(settings.nodes()) : EmbeddedSecureKafka.builder();
        return builder.plaintextListener(settings.plaintextListener())
                .superUsers(settings.superUsers())
                .authorizer(settings.authorizer().isEmpty() ? null : settings.authorizer())
                .brokerProperties(brokerProperties)
                .start();
    }
}
