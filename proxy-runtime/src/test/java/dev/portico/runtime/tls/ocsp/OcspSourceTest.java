package dev.portico.runtime.tls.ocsp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.portico.runtime.tls.TestCertificates;
import dev.portico.runtime.tls.TestCertificates.Issued;
import java.net.URI;
import java.util.List;
import org.bouncycastle.cert.ocsp.OCSPReq;
import org.junit.jupiter.api.Test;

/** Which chains can be stapled: the leaf names a responder and the chain holds its issuer. */
class OcspSourceTest {

    static final TestCertificates.Ca CA = TestCertificates.newCa("Source CA");

    @Test
    void theResponderComesFromTheLeafAndTheIssuerFromTheChain() throws Exception {
        Issued issued = CA.issue(TestCertificates.leaf("site").ocspResponder("http://ocsp.example.test/r"));

        OcspSource source = OcspSource.of(issued.chain());

        assertThat(source.responder()).isEqualTo(URI.create("http://ocsp.example.test/r"));
        assertThat(source.issuer()).isEqualTo(CA.certificate());
        OCSPReq request = new OCSPReq(source.request());
        assertThat(request.getRequestList()).hasSize(1);
        assertThat(request.getRequestList()[0].getCertID().getSerialNumber())
                .isEqualTo(issued.leaf().getSerialNumber());
    }

    @Test
    void aLeafWithoutAuthorityInformationAccessHasNoSource() {
        Issued issued = CA.issue(TestCertificates.leaf("site"));

        assertThatThrownBy(() -> OcspSource.of(issued.chain()))
                .isInstanceOf(OcspSource.Unavailable.class)
                .hasMessageContaining("no Authority Information Access");
    }

    @Test
    void aResponderThatIsNotHttpIsNotUsed() {
        Issued issued = CA.issue(TestCertificates.leaf("site").ocspResponder("ldap://directory.example.test/ocsp"));

        assertThatThrownBy(() -> OcspSource.of(issued.chain()))
                .isInstanceOf(OcspSource.Unavailable.class)
                .hasMessageContaining("no http(s) OCSP responder");
    }

    @Test
    void aChainWithoutTheIssuerHasNoSource() {
        Issued issued = CA.issue(TestCertificates.leaf("site").ocspResponder("http://ocsp.example.test/r"));
        TestCertificates.Ca sameName = TestCertificates.newCa("Source CA");

        assertThatThrownBy(() -> OcspSource.of(List.of(issued.leaf())))
                .isInstanceOf(OcspSource.Unavailable.class)
                .hasMessageContaining("does not include the certificate of the leaf's issuer");
        // A CA of the same name but another key did not sign the leaf, so it is not its issuer.
        assertThatThrownBy(() -> OcspSource.of(List.of(issued.leaf(), sameName.certificate())))
                .isInstanceOf(OcspSource.Unavailable.class);
    }
}
