package dev.portico.runtime.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.portico.crds.validation.Htpasswd;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** htpasswd lines: bcrypt only, and every refusal names the line. ForwardAuthVerdict's table is here too. */
class HtpasswdTest {

    private static final String BCRYPT_2Y = BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(4, "pw".toCharArray());
    private static final String BCRYPT_2A = BCrypt.with(BCrypt.Version.VERSION_2A).hashToString(5, "pw".toCharArray());
    private static final String BCRYPT_2B = BCrypt.with(BCrypt.Version.VERSION_2B).hashToString(4, "pw".toCharArray());

    @Test
    void bcryptLinesOfEveryVersionAreRead() {
        Htpasswd users = Htpasswd.parse("# admins\n\nalice:" + BCRYPT_2Y + "\r\nbob:" + BCRYPT_2A + "\ncarol:"
                + BCRYPT_2B + "\n", "Secret \"s\" key \"auth\"");

        assertThat(users.size()).isEqualTo(3);
        assertThat(users.maxCost()).isEqualTo(5);
        assertThat(users.hashOf("dave")).isNull();
        BasicAuthPolicy policy = new BasicAuthPolicy("r", users);
        for (String user : new String[] {"alice", "bob", "carol"}) {
            var check = (BasicAuthPolicy.Verify) policy.check("Basic " + Base64.getEncoder()
                    .encodeToString((user + ":pw").getBytes()));
            assertThat(policy.verify(check)).as(user).isTrue();
        }
    }

    @Test
    void otherSchemesAreRefusedNamingTheLineAndTheUser() {
        String source = "Secret \"s\" key \"auth\"";
        assertThatThrownBy(() -> Htpasswd.parse("alice:" + BCRYPT_2Y + "\nbob:$apr1$abc$def\n", source))
                .hasMessage(source + " line 2 (user \"bob\"): an MD5 ($apr1$) hash; only bcrypt hashes ($2y$, $2a$,"
                        + " $2b$) are accepted: make them with htpasswd -B");
        assertThatThrownBy(() -> Htpasswd.parse("carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", source))
                .hasMessageContaining("line 1 (user \"carol\"): a SHA-1 ({SHA}) hash");
        assertThatThrownBy(() -> Htpasswd.parse("dave:$6$salt$hash", source))
                .hasMessageContaining("line 1 (user \"dave\"): a crypt(3) $6$ hash");
        assertThatThrownBy(() -> Htpasswd.parse("erin:plaintext", source))
                .hasMessageContaining("line 1 (user \"erin\"): not a bcrypt hash");
        assertThatThrownBy(() -> Htpasswd.parse("frank:" + BCRYPT_2Y.substring(0, 40), source))
                .hasMessageContaining("a malformed bcrypt hash");
        assertThatThrownBy(() -> Htpasswd.parse("no colon here", source)).hasMessage(source + " line 1: not user:hash");
        assertThatThrownBy(() -> Htpasswd.parse("a:" + BCRYPT_2Y + "\na:" + BCRYPT_2B, source))
                .hasMessage(source + " line 2: user \"a\" appears twice");
        assertThatThrownBy(() -> Htpasswd.parse("# nobody\n", source)).hasMessage(source + ": no user:hash lines");
    }

    @Test
    void theAuthServicesStatusDecides() {
        assertThat(ForwardAuthVerdict.of(200)).isEqualTo(ForwardAuthVerdict.ALLOW);
        assertThat(ForwardAuthVerdict.of(204)).isEqualTo(ForwardAuthVerdict.ALLOW);
        for (int status : new int[] {301, 302, 303, 307, 401, 403, 404, 429}) {
            assertThat(ForwardAuthVerdict.of(status)).as("%d", status).isEqualTo(ForwardAuthVerdict.PASS_TO_CLIENT);
        }
        for (int status : new int[] {100, 304, 500, 502, 503, 504, 600}) {
            assertThat(ForwardAuthVerdict.of(status)).as("%d", status).isEqualTo(ForwardAuthVerdict.UNAVAILABLE);
        }
    }
}
