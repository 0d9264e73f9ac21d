package dev.portico.crds.v1alpha1;

/**
 * What the proxy does with a request path holding {@code %2F} or {@code %5C} (an encoded
 * {@code /} or {@code \}); Envoy's {@code path_with_escaped_slashes_action}, with its two safe
 * choices. Names are written as Gateway API writes its enums.
 */
public enum EscapedSlashes {
    /** 400: a backend that decodes them would see segments the routes never saw. */
    Reject,
    /** Forward them encoded (upper-case hex); they are part of a segment, never a separator. */
    Keep
}
