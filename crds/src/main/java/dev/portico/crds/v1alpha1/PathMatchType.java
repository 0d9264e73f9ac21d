package dev.portico.crds.v1alpha1;

/** How a route's path is compared with the request's; names are those of Gateway API. */
public enum PathMatchType {
    Exact,
    PathPrefix,
    RegularExpression
}
