package dev.portico.crds.v1alpha1;

public enum BackendProtocol {
    HTTP,
    HTTPS
}
