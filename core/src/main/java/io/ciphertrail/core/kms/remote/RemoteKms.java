package io.ciphertrail.core.kms.remote;

import io.ciphertrail.core.kms.Dek;
import io.ciphertrail.core.kms.Edek;
import io.ciphertrail.core.kms.GeneratedDek;
import io.ciphertrail.core.kms.KekInfo;
import io.ciphertrail.core.kms.KekRef;
import io.ciphertrail.core.kms.Kms;
import io.ciphertrail.core.kms.KmsAdmin;
import io.ciphertrail.core.kms.KmsException;
import io.ciphertrail.core.kms.remote.KeyServiceApi.Call;
import io.ciphertrail.core.kms.remote.KeyServiceApi.KeyVersion;
import io.ciphertrail.core.kms.remote.KeyServiceApi.Request;
import io.ciphertrail.core.kms.remote.KeyServiceApi.Response;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * The KMS as a client of the key service: every operation is one call, decided by the service's key
 * policy for this client's TLS identity. Calls run on this KMS's own threads, since they wait for the network.
 */
final class RemoteKms implements Kms, KmsAdmin {
    private final KeyServiceClient client;
    private final ExecutorService executor;

    RemoteKms(KeyServiceClient client, ExecutorService executor) {
        this.client = client;
        this.executor = executor;
    }

    @Override
    public CompletionStage<KekRef> resolveAlias(String alias) {
        return async(() -> client.call(Call.RESOLVE, Request.alias(alias)).kek());
    }

    @Override
    public CompletionStage<GeneratedDek> generateDek(KekRef kek) {
        return async(() -> {
            Response response = client.call(Call.GENERATE_DATA_KEY, Request.kek(kek));
            if (!response.kek().equals(kek)) {
                throw new KmsException("The key service wrapped the data key under " + response.kek() + " instead of " + kek);
            }
            return new GeneratedDek(dek(response), new Edek(kek, response.wrapped()));
        });
    }

    @Override
    public CompletionStage<Dek> unwrap(Edek edek) {
        return async(() -> dek(client.call(Call.UNWRAP, Request.edek(edek))));
    }

    @Override
    public CompletionStage<Dek> deriveKey(KekRef kek, String purpose) {
        return async(() -> dek(client.call(Call.DERIVE, Request.derive(kek, purpose))));
    }

    private static Dek dek(Response response) {
        if (response.key() == null || response.key().length != Dek.LENGTH) {
            throw new KmsException("The key service answered without a " + Dek.LENGTH + "-byte key");
        }
        return Dek.adopt(response.key());
    }

    @Override
    public KekRef create(String alias) {
        return client.call(Call.CREATE, Request.alias(alias)).kek();
    }

    @Override
    public KekRef rotate(String alias) {
        return client.call(Call.ROTATE, Request.alias(alias)).kek();
    }

    @Override
    public List<KekInfo> list() {
        List<KeyVersion> keys = client.call(Call.LIST, Request.none()).keys();
        return keys == null ? List.of() : keys.stream().map(KeyVersion::info).toList();
    }

    @Override
    public void destroy(KekRef version) {
        client.call(Call.DESTROY, Request.kek(version));
    }

    @Override
    public void destroyAll(String alias) {
        client.call(Call.DESTROY, Request.alias(alias));
    }

    private <T> CompletionStage<T> async(Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, executor);
    }

    @Override
    public void close() {
        executor.shutdown();
    }

    @Override
    public String toString() {
        return "RemoteKms[" + client + "]";
    }
}
