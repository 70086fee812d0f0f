package io.ciphertrail.core.pki;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * What an operator wants to know about a certificate: who it names, who issued it, what it is
 * valid for and how long it has left.
 *
 * @param subject     RFC 2253 subject, in the order Kafka shows it (e.g. {@code CN=orders,O=Ciphertrail})
 * @param commonName  the subject's CN (the workload identity), or empty
 * @param issuer      RFC 2253 issuer
 * @param serialHex   serial number in hexadecimal
 * @param notBefore   start of validity
 * @param notAfter    end of validity
 * @param dnsNames    subject alternative DNS names
 * @param ipAddresses subject alternative IP addresses
 */
public record CertificateInfo(String subject, String commonName, String issuer, String serialHex,
                              Instant notBefore, Instant notAfter, List<String> dnsNames, List<String> ipAddresses) {

    /** Where a certificate stands at a given moment. */
    public enum Validity { VALID, EXPIRED, NOT_YET_VALID }

    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    public CertificateInfo {
        dnsNames = List.copyOf(dnsNames);
        ipAddresses = List.copyOf(ipAddresses);
    }

    public static CertificateInfo of(X509Certificate certificate) {
        String subject = certificate.getSubjectX500Principal().getName();
        List<String> dns = new ArrayList<>();
        List<String> ips = new ArrayList<>();
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    if (type == SAN_DNS) {
                        dns.add((String) san.get(1));
                    } else if (type == SAN_IP) {
                        ips.add((String) san.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new PkiException("Cannot read the subject alternative names of " + subject + ": " + e.getMessage(), e);
        }
        return new CertificateInfo(subject, commonName(subject), certificate.getIssuerX500Principal().getName(),
                certificate.getSerialNumber().toString(16), certificate.getNotBefore().toInstant(),
                certificate.getNotAfter().toInstant(), dns, ips);
    }

    public Validity validityAt(Instant now) {
        if (now.isBefore(notBefore)) {
            return Validity.NOT_YET_VALID;
        }
        return now.isAfter(notAfter) ? Validity.EXPIRED : Validity.VALID;
    }

    /** Whole days until the certificate expires; negative once it has expired. */
    public long daysLeft(Instant now) {
        return Math.floorDiv(Duration.between(now, notAfter).toSeconds(), Duration.ofDays(1).toSeconds());
    }

    /** How long the certificate was issued for. */
    public Duration lifetime() {
        return Duration.between(notBefore, notAfter);
    }

    /**
     * Whether its expiry deserves a warning: fewer than {@code warningDays} days left, or, for a certificate issued for
     * less than three times that (a short-lived one, renewed at half life), less than a third of its lifetime. A fresh
     * 24-hour certificate is no cause for alarm; one that was not renewed in time is.
     */
    public boolean expiresSoon(Instant now, int warningDays) {
        Duration threshold = Duration.ofDays(warningDays);
        Duration third = lifetime().dividedBy(3);
        return Duration.between(now, notAfter).compareTo(third.compareTo(threshold) < 0 ? third : threshold) < 0;
    }

    /** The time left in units that suit it ({@code 12 days}, {@code 5 h 20 min}, {@code 3 min 5 s}), or {@code expired}. */
    public String timeLeft(Instant now) {
        Duration left = Duration.between(now, notAfter);
        if (left.isNegative() || left.isZero()) {
            return "expired";
        }
        if (left.toDays() >= 2) {
            return left.toDays() + " days";
        }
        if (left.toHours() >= 1) {
            return left.toHours() + " h " + left.toMinutesPart() + " min";
        }
        return left.toMinutes() >= 1 ? left.toMinutes() + " min " + left.toSecondsPart() + " s" : left.toSeconds() + " s";
    }

    static String commonName(String rfc2253Name) {
        try {
            for (Rdn rdn : new LdapName(rfc2253Name).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    return rdn.getValue().toString();
                }
            }
            return "";
        } catch (InvalidNameException e) {
            throw new PkiException("Not a valid distinguished name: " + rfc2253Name, e);
        }
    }
}
