package io.ciphertrail.policy.delivery;

import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pauses the service while a topic it cannot do without (quarantine, audit) is missing or closed to it, and
 * resumes it once it is back; checked at every refresh of the topic view. So no record meets the missing
 * topic: records wait, uncommitted, in their ingress topics, and no transaction is held open meanwhile.
 */
public final class OutputWatch implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(OutputWatch.class);

    private final Supplier<Optional<String>> problem;
    private final WriteFailures failures;
    private final Runnable pause;
    private final Runnable resume;
    private boolean paused;

    /**
     * @param problem what keeps the service from writing now, if anything
     * @param pause   pauses processing (Kafka Streams' {@code pause()}: the service stays in its group)
     */
    public OutputWatch(Supplier<Optional<String>> problem, WriteFailures failures, Runnable pause, Runnable resume) {
        this.problem = problem;
        this.failures = failures;
        this.pause = pause;
        this.resume = resume;
    }

    @Override
    public synchronized void run() {
        Optional<String> now = problem.get();
        if (now.isPresent()) {
            failures.blocked(now.get());
            if (!paused) {
                paused = true;
                pause.run();
                LOG.error("{}. Processing is paused until then; nothing is skipped", now.get());
            }
        } else if (paused) {
            paused = false;
            failures.unblocked();
            resume.run();
            LOG.info("The service's output topics are back; processing goes on where it paused");
        }
    }
}
