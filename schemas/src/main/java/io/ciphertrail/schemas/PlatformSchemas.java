package io.ciphertrail.schemas;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Lets Avro's reader instantiate the platform's own generated classes. Avro 1.12 refuses classes
 * outside a trusted list (a guard against gadget classes named in hostile schemas); trusting exactly
 * {@code io.ciphertrail.schemas} keeps that guard for everything else, and spares every deployment a
 * {@code -Dorg.apache.avro.SERIALIZABLE_PACKAGES} flag.
 */
public final class PlatformSchemas {
    private static final String PACKAGE = PlatformSchemas.class.getPackageName() + ".";
    private static boolean trusted;

    private PlatformSchemas() {
    }

    /** Call before decoding platform events; idempotent and cheap after the first call. */
    public static synchronized void trust() {
        if (!trusted) {
            ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
            ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(previous,
                    type -> type.getName().startsWith(PACKAGE)));
            trusted = true;
        }
    }
}
