package io.ciphertrail.core.io;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * The {@code main} of a service's runnable jar: one argument, a properties file; the service starts or
 * the reason it did not is printed (exit 1; exit 2 for wrong usage); then it runs until SIGTERM or
 * Ctrl-C, when it is closed in a shutdown hook.
 */
public final class ServiceMain {
    private ServiceMain() {
    }

    public static void run(String name, String[] args, Function<Map<String, Object>, AutoCloseable> start) throws InterruptedException {
        if (args.length != 1) {
            System.err.println("usage: " + name + " <service.properties>");
            System.exit(2);
        }
        Map<String, Object> settings;
        try {
            settings = PropertiesFiles.read(Path.of(args[0]));
        } catch (UncheckedIOException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        AutoCloseable service;
        try {
            service = start.apply(settings);
        } catch (RuntimeException e) {
            System.err.println("The " + name + " did not start: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                service.close();
            } catch (Exception e) {
                System.err.println("The " + name + " did not stop cleanly: " + e);
            } finally {
                stopped.countDown();
            }
        }, name + "-shutdown"));
        stopped.await();
    }
}
