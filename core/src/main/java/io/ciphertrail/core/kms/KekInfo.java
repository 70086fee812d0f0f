package io.ciphertrail.core.kms;

import java.time.Instant;

/** One KEK version as an operator sees it; never the key itself. */
public record KekInfo(KekRef ref, State state, Instant created) {
    public enum State {
        /** Wraps new data keys (if newest) and unwraps old ones. */
        ACTIVE,
        /** Destroyed: whatever it wrapped can never be decrypted again (crypto-shredding). */
        DESTROYED
    }
}
