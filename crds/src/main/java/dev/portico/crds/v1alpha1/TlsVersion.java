package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The oldest TLS version a site accepts; nothing older than 1.2 exists here on purpose. */
public enum TlsVersion {
    @JsonProperty("1.2") TLS_1_2("TLSv1.2"),
    @JsonProperty("1.3") TLS_1_3("TLSv1.3");

    private final String protocolName;

    TlsVersion(String protocolName) {
        this.protocolName = protocolName;
    }

    /** The JSSE/OpenSSL protocol name, e.g. {@code TLSv1.2}. */
    public String protocolName() {
        return protocolName;
    }
}
