package io.ciphertrail.core.envelope;

import io.ciphertrail.core.kms.KmsFixture;
import java.util.Map;

/** The same behaviour with KEKs inside a real PKCS#11 token (SoftHSM2). */
class Pkcs11KmsEnvelopeTest extends EnvelopeContract {
    @Override
    protected Map<String, Object> kmsConfigs() {
        return KmsFixture.pkcs11();
    }
}
