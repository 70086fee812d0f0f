package io.ciphertrail.policy;

/**
 * The runnable jar's entry point: chooses the service's default logging (INFO; Kafka's clients and Streams at WARN)
 * before any logger exists, unless {@code -Dlogback.configurationFile} is given. Without it, logback's built-in
 * default logs everything at DEBUG: thousands of lines a minute from an idle service.
 */
public final class Main {
    /** The service's logging configuration, a resource of this jar. */
    static final String LOGGING = "ciphertrail-policy-logback.xml";

    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", LOGGING);
        }
        PolicyService.main(args);
    }
}
