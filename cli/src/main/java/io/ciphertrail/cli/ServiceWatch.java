package io.ciphertrail.cli;

import io.ciphertrail.policy.delivery.WriteFailures;

/**
 * What {@code ciphertrail up} prints about the policy service while it runs: each write that failed (the
 * records are processed again after a back-off, none skipped) and the moment it writes again. Fed the
 * service's reports once a second; answers the line to print, if any.
 */
final class ServiceWatch {
    private long failures;
    private WriteFailures.Status status = WriteFailures.Status.UP;

    String update(WriteFailures.Report report) {
        String line = null;
        if (report.failures() > failures) {
            line = "Policy service: a write failed (" + report.lastError() + "). Nothing is skipped: the records are processed again in "
                    + report.backoffMs() + " ms; /health says RETRYING until writes succeed. See docs/operations.md.";
        } else if (status == WriteFailures.Status.RETRYING && report.status() == WriteFailures.Status.UP) {
            line = "Policy service: writing again after " + report.failures() + " failed attempt(s) in all.";
        }
        failures = report.failures();
        status = report.status();
        return line;
    }
}
