package dev.portico.operator.acme;

import dev.portico.operator.pki.Pem;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.shredzone.acme4j.Account;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.OrderBuilder;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.shredzone.acme4j.connector.Resource;
import org.shredzone.acme4j.exception.AcmeException;

/**
 * One ACME order, start to certificate (RFC 8555 section 7.4): the account (registered on first
 * use, found by its key after), the order for the hosts, HTTP-01 answers handed to every pod
 * before the CA is asked to look, the CA's validation, finalization with a new key, and the
 * certificate chain. Runs on the ACME worker thread: acme4j polls and waits, which must never
 * happen on a reconcile thread.
 */
final class AcmeOrder {

    /** How long the CA may take to validate or to issue before the attempt is given up (and retried later). */
    static final Duration CA_WAIT = Duration.ofMinutes(2);

    /** Hands HTTP-01 key authorizations to the pods and returns once every ready pod serves them. */
    @FunctionalInterface
    interface Answers {
        void publish(List<String> keyAuthorizations) throws AcmeFailure, InterruptedException;
    }

    /** The new certificate: chain and key in PEM, and its leaf. */
    record Issued(String chainPem, String keyPem, X509Certificate leaf) {}

    private AcmeOrder() {}

    /**
     * @param replaces the certificate this order renews (RFC 9773 section 5), or null
     * @param progress what is happening, for the log
     */
    static Issued run(Session session, KeyPair accountKey, String email, List<String> hosts, X509Certificate replaces,
            Answers answers, Consumer<String> progress) throws AcmeFailure, InterruptedException {
        Account account;
        try {
            account = new AccountBuilder().addEmail(email).agreeToTermsOfService().useKeyPair(accountKey)
                    .create(session);
        } catch (AcmeException e) {
            throw AcmeFailure.of("registering the account " + email, e);
        }
        Order order;
        try {
            OrderBuilder builder = account.newOrder().domains(hosts);
            if (replaces != null && session.resourceUrlOptional(Resource.RENEWAL_INFO).isPresent()) {
                builder.replaces(replaces);
            }
            order = builder.create();
        } catch (AcmeException e) {
            throw AcmeFailure.of("ordering a certificate for " + String.join(", ", hosts), e);
        }
        progress.accept("order " + order.getLocation() + " for " + String.join(", ", hosts));

        List<Http01Challenge> challenges = new ArrayList<>();
        List<Authorization> pending = new ArrayList<>();
        for (Authorization authorization : order.getAuthorizations()) {
            if (authorization.getStatus() == Status.VALID) {
                continue; // validated recently for this account: nothing to prove
            }
            String host = authorization.getIdentifier().getDomain();
            Http01Challenge challenge = authorization.findChallenge(Http01Challenge.class)
                    .orElseThrow(() -> new AcmeFailure(AcmeFailure.CA_REFUSED,
                            "the CA offers no HTTP-01 challenge for " + host, null));
            challenges.add(challenge);
            pending.add(authorization);
        }
        if (!challenges.isEmpty()) {
            answers.publish(challenges.stream().map(Http01Challenge::getAuthorization).toList());
            progress.accept("every ready pod answers " + challenges.size() + " challenge(s); asking the CA to validate");
            for (Http01Challenge challenge : challenges) {
                try {
                    challenge.trigger();
                } catch (AcmeException e) {
                    throw AcmeFailure.of("asking the CA to validate", e);
                }
            }
            for (int i = 0; i < pending.size(); i++) {
                Authorization authorization = pending.get(i);
                String host = authorization.getIdentifier().getDomain();
                Status status;
                try {
                    status = authorization.waitForCompletion(CA_WAIT);
                } catch (AcmeException e) {
                    throw AcmeFailure.of("validating " + host, e);
                }
                if (status != Status.VALID) {
                    Http01Challenge triggered = challenges.get(i);
                    // The authorization, just polled, holds its challenges as the CA left them, with the error.
                    throw new AcmeFailure(AcmeFailure.VALIDATION_FAILED, "the CA could not validate " + host + " over "
                            + "HTTP-01 (" + status.name().toLowerCase(Locale.ROOT) + "): " + authorization
                            .findChallenge(Http01Challenge.class).flatMap(Challenge::getError)
                            .or(triggered::getError)
                            .map(AcmeFailure::describe).orElse("no reason given"), null);
                }
            }
        }

        KeyPair domainKey = AcmeTrust.newKeyPair();
        try {
            order.waitUntilReady(CA_WAIT);
            order.execute(domainKey);
            Status status = order.waitForCompletion(CA_WAIT);
            if (status != Status.VALID) {
                throw new AcmeFailure(AcmeFailure.CA_REFUSED, "the CA did not issue the certificate (order "
                        + status.name().toLowerCase(Locale.ROOT) + "): " + order.getError().map(AcmeFailure::describe)
                        .orElse("no reason given"), null);
            }
            List<X509Certificate> chain = order.getCertificate().getCertificateChain();
            return new Issued(Pem.certificates(chain), Pem.privateKey(domainKey.getPrivate()), chain.get(0));
        } catch (AcmeException e) {
            throw AcmeFailure.of("finalizing the order", e);
        }
    }
}
