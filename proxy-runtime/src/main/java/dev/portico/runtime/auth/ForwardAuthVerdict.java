package dev.portico.runtime.auth;

/**
 * What the auth service's status means: 2xx lets the request through; a redirect (to the login page) or any other
 * 4xx (401 with its challenge, 403) is the auth service's answer to the client, passed on as it is; anything else
 * (5xx, a status outside the classes) means the service cannot decide, and the request is refused with 503 rather
 * than let through.
 */
public enum ForwardAuthVerdict {
    ALLOW, PASS_TO_CLIENT, UNAVAILABLE;

    public static ForwardAuthVerdict of(int status) {
        if (status >= 200 && status < 300) {
            return ALLOW;
        }
        if (status >= 300 && status < 500 && status != 304) {
            return PASS_TO_CLIENT;
        }
        return UNAVAILABLE;
    }
}
