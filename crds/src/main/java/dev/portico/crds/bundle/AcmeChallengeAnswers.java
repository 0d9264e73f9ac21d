package dev.portico.crds.bundle;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The bundle file {@link BundleFiles#ACME_CHALLENGES_FILE}: the HTTP-01 key authorizations the
 * operator's pending ACME orders need answered, one per line (RFC 8555 section 8.3). A key
 * authorization is {@code token "." thumbprint}, so the file names its tokens too. One file of
 * fixed name rather than a file per token: the pod template's volume items, which list the
 * bundle's files, stay the same while orders come and go, so no challenge restarts a pod.
 */
public final class AcmeChallengeAnswers {

    /** base64url token, '.', base64url thumbprint (RFC 8555 sections 8.1 and 8.3). */
    private static final Pattern KEY_AUTHORIZATION = Pattern.compile("[A-Za-z0-9_-]{1,256}\\.[A-Za-z0-9_-]{1,256}");

    private AcmeChallengeAnswers() {}

    /** The file's content for {@code keyAuthorizations}, sorted so the same answers hash the same. */
    public static String render(Collection<String> keyAuthorizations) {
        StringBuilder file = new StringBuilder();
        keyAuthorizations.stream().sorted().distinct().forEach(k -> file.append(check(k)).append('\n'));
        return file.toString();
    }

    /**
     * Token to key authorization.
     *
     * @throws IllegalArgumentException naming the line that is not a key authorization
     */
    public static Map<String, String> parse(String file) {
        Map<String, String> answers = new LinkedHashMap<>();
        String[] lines = file.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            if (!KEY_AUTHORIZATION.matcher(line).matches()) {
                throw new IllegalArgumentException(BundleFiles.ACME_CHALLENGES_FILE + " line " + (i + 1)
                        + ": not an ACME key authorization (token.thumbprint, base64url)");
            }
            answers.put(line.substring(0, line.indexOf('.')), line);
        }
        return Collections.unmodifiableMap(answers);
    }

    private static String check(String keyAuthorization) {
        if (!KEY_AUTHORIZATION.matcher(keyAuthorization).matches()) {
            throw new IllegalArgumentException("not an ACME key authorization: " + keyAuthorization);
        }
        return keyAuthorization;
    }
}
