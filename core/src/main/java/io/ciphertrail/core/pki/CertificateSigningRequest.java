package io.ciphertrail.core.pki;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * A PKCS#10 certificate signing request: how a workload gets a certificate without its private key
 * ever leaving it. The workload creates the key pair and the request; the CA signs only the public key.
 */
public final class CertificateSigningRequest {
    private final JcaPKCS10CertificationRequest csr;

    private CertificateSigningRequest(PKCS10CertificationRequest csr) {
        this.csr = new JcaPKCS10CertificationRequest(csr);
    }

    /** Creates a request for {@code identity} signed with the workload's own key pair. */
    public static CertificateSigningRequest create(KeyPair keyPair, String identity) {
        Names.requireIdentity(identity);
        try {
            ContentSigner signer = new JcaContentSignerBuilder(KeyAlgorithm.of(keyPair.getPublic()).signatureAlgorithm())
                    .build(keyPair.getPrivate());
            return new CertificateSigningRequest(
                    new JcaPKCS10CertificationRequestBuilder(Names.of(identity), keyPair.getPublic()).build(signer));
        } catch (OperatorCreationException e) {
            throw new PkiException("Cannot sign a certificate request for " + identity + ": " + e.getMessage(), e);
        }
    }

    public static CertificateSigningRequest parse(String pem, String origin) {
        return new CertificateSigningRequest(Pem.decodeCsr(pem, origin));
    }

    public static CertificateSigningRequest read(Path file) {
        return parse(Pem.read(file), file.toString());
    }

    /** The requested subject, RFC 2253, in the order Kafka shows it. */
    public String subject() {
        try {
            return new X500Principal(csr.getSubject().getEncoded()).getName();
        } catch (java.io.IOException e) {
            throw new PkiException("The certificate request's subject cannot be encoded", e);
        }
    }

    public String commonName() {
        return CertificateInfo.commonName(subject());
    }

    public PublicKey publicKey() {
        try {
            // The converter maps key algorithm OIDs to JCA names; the JDK has no KeyFactory registered under the EC OID.
            return new JcaPEMKeyConverter().getPublicKey(csr.getSubjectPublicKeyInfo());
        } catch (java.io.IOException e) {
            throw new PkiException("The certificate request for " + subject() + " carries an unreadable public key", e);
        }
    }

    /** Checks the request was signed by the private key matching its public key (proof of possession). */
    public void verify() {
        try {
            if (!csr.isSignatureValid(new JcaContentVerifierProviderBuilder().build(publicKey()))) {
                throw new PkiException("The certificate request for " + subject()
                        + " has an invalid signature: it was not signed by the key it asks to certify");
            }
        } catch (OperatorCreationException | PKCSException e) {
            throw new PkiException("Cannot verify the certificate request for " + subject() + ": " + e.getMessage(), e);
        }
    }

    public String toPem() {
        return Pem.encodeCsr(csr);
    }

    @Override
    public String toString() {
        return "CertificateSigningRequest[subject=" + subject() + "]";
    }
}
