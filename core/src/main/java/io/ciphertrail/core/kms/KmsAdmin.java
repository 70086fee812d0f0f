package io.ciphertrail.core.kms;

import java.util.List;

/** Operator tools for KEKs: create, rotate, list and destroy (crypto-shredding). */
public interface KmsAdmin extends AutoCloseable {

    /** Creates version 1 of a new alias; fails if the alias exists. */
    KekRef create(String alias);

    /** Adds a new version; new data keys are wrapped by it, older versions keep unwrapping. */
    KekRef rotate(String alias);

    /** Every version of every alias, sorted by alias then version. */
    List<KekInfo> list();

    /** Destroys one version: records whose data keys it wrapped become permanently undecryptable. */
    void destroy(KekRef version);

    /** Destroys every version of an alias. */
    void destroyAll(String alias);

    @Override
    void close();
}
