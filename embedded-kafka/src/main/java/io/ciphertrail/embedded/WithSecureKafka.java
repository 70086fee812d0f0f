package io.ciphertrail.embedded;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a test class a running TLS-only Kafka: declare a {@link SecureKafkaCluster} parameter on a test,
 * lifecycle method or constructor (or the implementation's type: {@link EmbeddedSecureKafka} for one node,
 * {@link MultiNodeSecureKafka} for {@code nodes = 3}, whose nodes a fault test can kill, freeze and restart).
 *
 * <p>Every test class in the run that asks for the same settings shares one broker, started on first
 * use and stopped when the run ends, so a suite pays the start-up cost once per distinct setting.
 * Tests that share a broker use their own topic and group names.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(SecureKafkaExtension.class)
public @interface WithSecureKafka {

    /** Where the broker runs. */
    enum Runtime {
        /** In this JVM (the default; needs nothing installed). */
        EMBEDDED,
        /** In an {@code apache/kafka} container; the tests are skipped where no Docker engine exists. */
        CONTAINER
    }

    Runtime runtime() default Runtime.EMBEDDED;

    /**
     * How many nodes (embedded only). One (the default) runs in the test JVM; more run each in a JVM of
     * its own ({@link MultiNodeSecureKafka}), every node a broker and controller, every topic on three
     * replicas with two in sync. The nodes are the same TLS-only, authorizer-guarded brokers either way.
     */
    int nodes() default 1;

    /** Also open a PLAINTEXT listener (embedded only; on every node), to show that something refuses it. */
    boolean plaintextListener() default false;

    /** {@code authorizer.class.name} (embedded only; on every node); empty for none. */
    String authorizer() default "";

    /** Further super users ({@code User:name}); the broker and the admin identity always are. */
    String[] superUsers() default {};

    /** Further broker settings as {@code key=value}. */
    String[] brokerProperties() default {};
}
