package io.ciphertrail.core.envelope;

import io.ciphertrail.trust.TrustFixture;
import io.ciphertrail.trust.TrustService;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole envelope contract that runs over the local and PKCS#11 providers, over the remote provider:
 * a real key service on loopback with real mutual TLS, the client authenticated by its certificate and
 * allowed every operation by the key policy.
 */
class RemoteKmsEnvelopeTest extends EnvelopeContract {
    @TempDir
    static Path dir;
    static TrustFixture fixture;
    static TrustService service;

    @BeforeAll
    static void startKeyService() {
        fixture = new TrustFixture(dir);
        fixture.writePolicy("rules:\n  - name: contract-client\n    principals: [User:contract-client]\n    keys: [\"*\"]\n"
                + "    operations: [ENCRYPT, DECRYPT, DERIVE, ADMIN]\n");
        service = fixture.start();
    }

    @AfterAll
    static void stopKeyService() {
        service.close();
    }

    @Override
    protected Map<String, Object> kmsConfigs() {
        return fixture.clientSettings("contract-client", service);
    }
}
