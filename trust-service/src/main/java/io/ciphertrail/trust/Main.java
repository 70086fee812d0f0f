package io.ciphertrail.trust;

/**
 * The runnable jar's entry point: chooses the service's default logging (Jetty at INFO, since its DEBUG
 * output shows buffer fragments) before any logger exists, unless {@code -Dlogback.configurationFile} is given.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "ciphertrail-trust-logback.xml");
        }
        TrustService.main(args);
    }
}
