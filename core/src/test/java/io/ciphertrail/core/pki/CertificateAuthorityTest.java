package io.ciphertrail.core.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ciphertrail.core.io.SecureFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
    private static final CertificateAuthority CA = CertificateAuthority.create("Test CA");

    @TempDir
    Path dir;

    @Test
    void caIsSelfSignedWithTenYearDefault() {
        X509Certificate ca = CA.certificate();
        CertificateInfo info = CertificateInfo.of(ca);
        assertThat(info.subject()).isEqualTo("CN=Test CA,O=Ciphertrail");
        assertThat(info.issuer()).isEqualTo(info.subject());
        assertThat(ca.getBasicConstraints()).isEqualTo(0);
        assertThat(ca.getPublicKey().getAlgorithm()).isEqualTo("EC");
        assertThat(Duration.between(info.notBefore(), info.notAfter())).isEqualTo(CertificateAuthority.DEFAULT_VALIDITY);
    }

    @Test
    void rsaCaIsAnOption() {
        CertificateAuthority rsa = CertificateAuthority.create("RSA CA", KeyAlgorithm.RSA_3072, Duration.ofDays(30));
        assertThat(rsa.certificate().getPublicKey().getAlgorithm()).isEqualTo("RSA");
        IssuedCertificate workload = rsa.issueWorkload("svc");
        ChainValidator.validate(workload.chain(), rsa.certificate(), Instant.now());
    }

    @Test
    void brokerCertificateCarriesNamesAndBothUsages() throws Exception {
        IssuedCertificate broker = CA.issueBroker("broker-1", List.of("localhost", "kafka-1.internal"), List.of("127.0.0.1", "::1"));
        CertificateInfo info = broker.info();
        assertThat(info.subject()).isEqualTo("CN=broker-1,O=Ciphertrail");
        assertThat(info.dnsNames()).containsExactly("localhost", "kafka-1.internal");
        assertThat(info.ipAddresses()).containsExactly("127.0.0.1", "0:0:0:0:0:0:0:1");
        assertThat(broker.certificate().getExtendedKeyUsage())
                .containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(Duration.between(info.notBefore(), info.notAfter())).isEqualTo(Duration.ofDays(365));
        ChainValidator.validate(broker.chain(), CA.certificate(), Instant.now());
    }

    @Test
    void workloadCertificateIsClientAuthOnlyAndShortLived() throws Exception {
        IssuedCertificate workload = CA.issueWorkload("orders-service");
        assertThat(workload.info().commonName()).isEqualTo("orders-service");
        assertThat(workload.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(workload.info().daysLeft(Instant.now())).isEqualTo(29);
        assertThat(workload.certificate().getBasicConstraints()).isEqualTo(-1);
    }

    @Test
    void csrSignedCertificateCarriesRequestedIdentityAndTheWorkloadsOwnKey() {
        KeyPair keyPair = KeyAlgorithm.EC_P256.generateKeyPair();
        CertificateSigningRequest csr = CertificateSigningRequest.parse(
                CertificateSigningRequest.create(keyPair, "payments").toPem(), "test");

        X509Certificate certificate = CA.signCsr(csr);

        assertThat(CertificateInfo.of(certificate).commonName()).isEqualTo("payments");
        assertThat(certificate.getPublicKey()).isEqualTo(keyPair.getPublic());
        ChainValidator.validate(List.of(certificate), CA.certificate(), Instant.now());
    }

    @Test
    void csrCannotBeSignedForAnotherIdentity() {
        CertificateSigningRequest csr = CertificateSigningRequest.create(KeyAlgorithm.EC_P256.generateKeyPair(), "payments");
        assertThatThrownBy(() -> CA.signCsr(csr, CertificateSpec.workload("admin")))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining("asks for CN=payments but is being signed for admin");
    }

    @Test
    void expiredAndNotYetValidCertificatesAreReportedAsSuch() {
        Instant now = Instant.now();
        IssuedCertificate expired = CA.issue(CertificateSpec.workload("old")
                .notBefore(now.minus(Duration.ofDays(10))).validity(Duration.ofDays(1)));
        IssuedCertificate future = CA.issue(CertificateSpec.workload("early")
                .notBefore(now.plus(Duration.ofDays(1))).validity(Duration.ofDays(1)));

        assertThat(expired.info().validityAt(now)).isEqualTo(CertificateInfo.Validity.EXPIRED);
        assertThat(expired.info().daysLeft(now)).isNegative();
        assertThat(future.info().validityAt(now)).isEqualTo(CertificateInfo.Validity.NOT_YET_VALID);
        assertThatThrownBy(() -> ChainValidator.validate(expired.chain(), CA.certificate(), now))
                .isInstanceOf(PkiException.class).hasMessageContaining("CN=old,O=Ciphertrail").hasMessageContaining("expired");
        assertThatThrownBy(() -> ChainValidator.validate(future.chain(), CA.certificate(), now))
                .isInstanceOf(PkiException.class).hasMessageContaining("not yet valid");
    }

    @Test
    void chainFromAnotherCaDoesNotValidate() {
        IssuedCertificate foreign = CertificateAuthority.create("Other CA").issueWorkload("intruder");
        assertThatThrownBy(() -> ChainValidator.validate(foreign.chain(), CA.certificate(), Instant.now()))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining("CN=intruder,O=Ciphertrail does not validate against CA CN=Test CA,O=Ciphertrail");
    }

    @Test
    void pemFilesRoundTripAndPrivateKeysAreOwnerOnly() {
        IssuedCertificate issued = CA.issueWorkload("svc");
        Pem.write(dir, "svc", issued);

        assertThat(SecureFiles.isOwnerOnly(dir.resolve("svc.key"))).isTrue();
        IssuedCertificate read = Pem.read(dir, "svc");
        assertThat(read.chain()).isEqualTo(issued.chain());
        assertThat(read.privateKey().getEncoded()).isEqualTo(issued.privateKey().getEncoded());
    }

    @Test
    void privateKeyReadableByOthersIsRefused() throws Exception {
        Pem.write(dir, "svc", CA.issueWorkload("svc"));
        Path key = dir.resolve("svc.key");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> Pem.readPrivateKey(key))
                .hasMessageContaining("readable by others").hasMessageContaining("chmod 600");
    }

    @Test
    void pkcs12KeyAndTrustStoresRoundTrip() {
        IssuedCertificate issued = CA.issueWorkload("svc");
        char[] password = "changeit-42".toCharArray();
        KeyStores.writeKeyStore(dir.resolve("svc.p12"), issued, password);
        KeyStores.writeTrustStore(dir.resolve("trust.p12"), List.of(CA.certificate()), password);

        assertThat(SecureFiles.isOwnerOnly(dir.resolve("svc.p12"))).isTrue();
        assertThat(KeyStores.readKeyStore(dir.resolve("svc.p12"), password).chain()).isEqualTo(issued.chain());
        assertThat(KeyStores.readTrustStore(dir.resolve("trust.p12"), password)).containsExactly(CA.certificate());
        assertThatThrownBy(() -> KeyStores.readKeyStore(dir.resolve("svc.p12"), "wrong".toCharArray()))
                .isInstanceOf(PkiException.class).hasMessageContaining("password");
    }

    @Test
    void caSavesAndLoads() {
        CA.save(dir);
        CertificateAuthority loaded = CertificateAuthority.load(dir);
        assertThat(loaded.certificate()).isEqualTo(CA.certificate());
        ChainValidator.validate(loaded.issueWorkload("x").chain(), CA.certificate(), Instant.now());
        assertThat(SecureFiles.isOwnerOnly(dir.resolve(CertificateAuthority.KEY_FILE))).isTrue();
        assertThatThrownBy(() -> CertificateAuthority.load(dir.resolve("missing")))
                .hasMessageContaining("ciphertrail certs init-ca");
    }

    @Test
    void toStringNeverShowsKeyMaterial() {
        IssuedCertificate issued = CA.issueWorkload("svc");
        String encodedKey = Pem.encodePrivateKey(issued.privateKey());
        String keyBody = encodedKey.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        assertThat(issued.toString()).contains("CN=svc").doesNotContain(keyBody);
        assertThat(CA.toString()).doesNotContain("PRIVATE");
    }

    @Test
    void blankOrOversizedIdentityIsRefused() {
        assertThatThrownBy(() -> CertificateSpec.workload(" ")).hasMessageContaining("must not be blank");
        assertThatThrownBy(() -> CertificateSpec.workload("x".repeat(65))).hasMessageContaining("64 characters");
        assertThatThrownBy(() -> CA.issue(CertificateSpec.broker("b").ipAddresses("not-an-ip")))
                .hasMessageContaining("'not-an-ip' is not an IP address");
    }
}
