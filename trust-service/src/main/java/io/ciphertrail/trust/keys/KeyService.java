package io.ciphertrail.trust.keys;

import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.GeneratedDek;
import io.ciphertrail.core.kms.KekInfo;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAccessDeniedException;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsUnavailableException;
import io.ciphertrail.core.kms.remote.KeyServiceApi.Call;
import io.ciphertrail.core.kms.remote.KeyServiceApi.KeyVersion;
import io.ciphertrail.core.kms.remote.KeyServiceApi.Request;
import io.ciphertrail.core.kms.remote.KeyServiceApi.Response;
import io.ciphertrail.core.kms.remote.KmsError;
import io.ciphertrail.trust.audit.KeyUse;
import io.ciphertrail.trust.audit.KeyUseAudit;
import io.ciphertrail.trust.policy.Decision;
import io.ciphertrail.trust.policy.KeyPermission;
import io.ciphertrail.trust.policy.KeyPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs one key operation for one caller: asks the key policy, records the operation in the audit trail
 * (allowed or denied, with the KMS's result), and only if allowed runs it against the backend KMS. A denial
 * is a {@link KmsAccessDeniedException} naming the principal, the alias and the permission to ask for.
 */
public final class KeyService {
    /** What a call's outcome was, for metrics. */
    public interface Listener {
        void completed(Call call, String result, long nanos, Caller caller);
    }

    private final Kms kms;
    private final KmsAdmin admin;
    private final Supplier<KeyPolicy> policy;
    private final KeyUseAudit audit;
    private final Listener listener;
    private final Duration kmsTimeout;
    private final Function<String, Optional<String>> barred;

    /**
     * @param barred why the principal's identity is barred at the trust service's CA, if it is: a barred identity gets
     *               no key operation at all, whatever the key policy says
     */
    public KeyService(Kms kms, KmsAdmin admin, Supplier<KeyPolicy> policy, KeyUseAudit audit, Listener listener, Duration kmsTimeout,
                      Function<String, Optional<String>> barred) {
        this.barred = barred;
        this.kms = kms;
        this.admin = admin;
        this.policy = policy;
        this.audit = audit;
        this.listener = listener;
        this.kmsTimeout = kmsTimeout;
    }

    /** Runs {@code call}; key material in the response belongs to the caller, who zeroes it once sent. */
    public Response handle(Caller caller, Call call, Request request) {
        long start = System.nanoTime();
        String result = "INVALID";
        try {
            Response response = switch (call) {
                case RESOLVE -> resolve(caller, request);
                case GENERATE_DATA_KEY -> generate(caller, request);
                case UNWRAP -> unwrap(caller, request);
                case DERIVE -> derive(caller, request);
                case LIST -> list(caller);
                case CREATE -> administer(caller, call, request, () -> Response.kek(admin.create(alias(request))));
                case ROTATE -> administer(caller, call, request, () -> Response.kek(admin.rotate(alias(request))));
                case DESTROY -> administer(caller, call, request, () -> {
                    if (request.version() == null) {
                        admin.destroyAll(alias(request));
                    } else {
                        admin.destroy(request.kek());
                    }
                    return Response.list(List.of());
                });
            };
            result = "OK";
            return response;
        } catch (RuntimeException e) {
            result = e instanceof KmsAccessDeniedException ? "DENIED" : KmsError.of(e).name();
            throw e;
        } finally {
            listener.completed(call, result, System.nanoTime() - start, caller);
        }
    }

    private Response resolve(Caller caller, Request request) {
        String alias = alias(request);
        KeyPolicy current = policy.get();
        Decision encrypt = current.decide(caller.principal(), KeyPermission.ENCRYPT, alias);
        Decision derive = current.decide(caller.principal(), KeyPermission.DERIVE, alias);
        boolean useDerive = !cleanAllow(encrypt) && (cleanAllow(derive) || (derive.allowed() && !encrypt.allowed()));
        Decision decision = useDerive ? derive : encrypt;
        if (!decision.allowed()) {
            decision = new Decision(false, false, decision.rule(), decision.reason().replace("ask for ENCRYPT on", "ask for ENCRYPT (or DERIVE) on"));
        }
        KeyPermission permission = useDerive ? KeyPermission.DERIVE : KeyPermission.ENCRYPT;
        return run(caller, Call.RESOLVE, permission, alias, 0, decision, () -> Response.kek(await(kms.resolveAlias(alias))));
    }

    private static boolean cleanAllow(Decision decision) {
        return decision.allowed() && !decision.dryRunDenied();
    }

    private Response generate(Caller caller, Request request) {
        KekRef kek = request.kek();
        return run(caller, Call.GENERATE_DATA_KEY, KeyPermission.ENCRYPT, kek.alias(), kek.version(), null, () -> {
            GeneratedDek generated = await(kms.generateDek(kek));
            return Response.key(kek, generated.edek().wrapped(), material(generated.dek()));
        });
    }

    private Response unwrap(Caller caller, Request request) {
        KekRef kek = request.kek();
        if (request.wrapped() == null) {
            throw new IllegalArgumentException("the request must carry the wrapped data key: 'wrapped'");
        }
        Edek edek = new Edek(kek, request.wrapped());
        return run(caller, Call.UNWRAP, KeyPermission.DECRYPT, kek.alias(), kek.version(), null,
                () -> Response.key(kek, null, material(await(kms.unwrap(edek)))));
    }

    private Response derive(Caller caller, Request request) {
        KekRef kek = request.kek();
        if (request.purpose() == null) {
            throw new IllegalArgumentException("the request must name the derivation's 'purpose'");
        }
        return run(caller, Call.DERIVE, KeyPermission.DERIVE, kek.alias(), kek.version(), null,
                () -> Response.key(kek, null, material(await(kms.deriveKey(kek, request.purpose())))));
    }

    /** Every version of every alias the caller may administer; denied only if there are keys and it may administer none. */
    private Response list(Caller caller) {
        KeyPolicy current = policy.get();
        List<KekInfo> all = admin.list();
        List<KeyVersion> visible = new ArrayList<>();
        Decision granted = null;
        for (KekInfo info : all) {
            Decision decision = current.decide(caller.principal(), KeyPermission.ADMIN, info.ref().alias());
            if (decision.allowed()) {
                visible.add(KeyVersion.of(info));
                granted = granted == null ? decision : granted;
            }
        }
        Decision decision = granted != null || all.isEmpty()
                ? new Decision(true, granted != null && granted.dryRunDenied(), granted == null ? "" : granted.rule(),
                        "lists the " + visible.size() + " of " + all.size() + " KEK versions the caller may administer")
                : new Decision(false, false, "", caller.principal() + " may not ADMIN any KEK: no rule of the key policy allows it;"
                        + " ask for ADMIN on the aliases in the key policy");
        return run(caller, Call.LIST, KeyPermission.ADMIN, "*", 0, decision, () -> Response.list(visible));
    }

    private Response administer(Caller caller, Call call, Request request, Supplier<Response> operation) {
        String alias = alias(request);
        return run(caller, call, KeyPermission.ADMIN, alias, request.version() == null ? 0 : request.version(), null, operation);
    }

    /** Decides (unless {@code decided}), audits, and runs {@code operation} if allowed. */
    private Response run(Caller caller, Call call, KeyPermission permission, String alias, int version, Decision decided,
                         Supplier<Response> operation) {
        Decision decision = decided != null ? decided : policy.get().decide(caller.principal(), permission, alias);
        Optional<String> bar = barred.apply(caller.principal());
        if (bar.isPresent()) {
            decision = new Decision(false, false, "", caller.principal() + " is barred by the trust service (" + bar.get()
                    + "): no key operation until an administrator lifts the bar");
        }
        if (!decision.allowed()) {
            record(caller, call, permission, alias, version, decision, "DENIED");
            throw new KmsAccessDeniedException("KMS_ACCESS_DENIED: " + decision.reason());
        }
        String result = "OK";
        try {
            return operation.get();
        } catch (RuntimeException e) {
            result = KmsError.of(e).name();
            throw e;
        } finally {
            record(caller, call, permission, alias, version, decision, result);
        }
    }

    private void record(Caller caller, Call call, KeyPermission permission, String alias, int version, Decision decision, String result) {
        audit.record(new KeyUse(caller.principal(), caller.address(), call.name(), permission.name(), alias, version,
                decision.allowed(), decision.dryRunDenied(), decision.rule(), decision.reason(), result));
    }

    private static String alias(Request request) {
        if (request.alias() == null || request.alias().isBlank()) {
            throw new IllegalArgumentException("the request must name the KEK alias: 'alias'");
        }
        return request.alias();
    }

    private static byte[] material(Dek dek) {
        try {
            return dek.copyMaterial();
        } finally {
            dek.destroy();
        }
    }

    private <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(kmsTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new KmsUnavailableException("The backend KMS failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new KmsUnavailableException("The backend KMS did not answer within " + kmsTimeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KmsUnavailableException("Interrupted while waiting for the backend KMS", e);
        }
    }
}
