package dev.portico.runtime.policy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.compression.Brotli;
import io.netty.handler.codec.compression.Zstd;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which coding a client gets, by its Accept-Encoding. */
class SiteCompressorTest {

    private static final List<String> ALL = List.of("br", "zstd", "gzip", "deflate");
    private static final List<String> ZLIB_ONLY = List.of("gzip", "deflate");

    @Test
    void brotliAndZstdAreAvailableHere() {
        assertThat(Brotli.isAvailable()).as("brotli4j native: %s", Brotli.cause()).isTrue();
        assertThat(Zstd.isAvailable()).as("zstd-jni native: %s", Zstd.cause()).isTrue();
        assertThat(SiteCompressor.ENCODINGS).containsExactlyElementsOf(ALL);
    }

    @Test
    void equalWeightsGoToTheBetterCoding() {
        assertThat(SiteCompressor.choose("gzip, deflate, br, zstd", ALL)).isEqualTo("br");
        assertThat(SiteCompressor.choose("gzip, zstd", ALL)).isEqualTo("zstd");
        assertThat(SiteCompressor.choose("deflate, gzip", ALL)).isEqualTo("gzip");
        assertThat(SiteCompressor.choose("deflate", ALL)).isEqualTo("deflate");
    }

    @Test
    void qValuesDecideBeforePreference() {
        assertThat(SiteCompressor.choose("gzip;q=0.5, br;q=0.1", ALL)).isEqualTo("gzip");
        assertThat(SiteCompressor.choose("br;q=0.8, zstd", ALL)).isEqualTo("zstd");
        assertThat(SiteCompressor.choose("gzip; Q=1.0, br ; q=0.9", ALL)).isEqualTo("gzip");
    }

    @Test
    void qZeroMeansNo() {
        assertThat(SiteCompressor.choose("br;q=0, gzip", ALL)).isEqualTo("gzip");
        assertThat(SiteCompressor.choose("gzip;q=0", ALL)).isNull();
        assertThat(SiteCompressor.choose("*;q=0, zstd;q=0.3", ALL)).isEqualTo("zstd");
        assertThat(SiteCompressor.choose("gzip;q=bogus", ALL)).isNull();
    }

    @Test
    void wildcardsAliasesAndNothingUseful() {
        assertThat(SiteCompressor.choose("*", ALL)).isEqualTo("br");
        assertThat(SiteCompressor.choose("br;q=0, *", ALL)).isEqualTo("zstd");
        assertThat(SiteCompressor.choose("x-gzip", ALL)).isEqualTo("gzip");
        assertThat(SiteCompressor.choose("GZIP", ALL)).isEqualTo("gzip");
        assertThat(SiteCompressor.choose("identity", ALL)).isNull();
        assertThat(SiteCompressor.choose("", ALL)).isNull();
        assertThat(SiteCompressor.choose(" , ,", ALL)).isNull();
    }

    @Test
    void withoutTheNativeCodecsBrotliClientsGetGzip() {
        assertThat(SiteCompressor.choose("br, gzip", ZLIB_ONLY)).isEqualTo("gzip");
        assertThat(SiteCompressor.choose("br, zstd", ZLIB_ONLY)).isNull();
    }

    @Test
    void onlyTextLikeTypesAreCompressible() {
        assertThat(SiteCompressor.compressible("text/html; charset=utf-8")).isTrue();
        assertThat(SiteCompressor.compressible("application/problem+json")).isTrue();
        assertThat(SiteCompressor.compressible("image/svg+xml")).isTrue();
        assertThat(SiteCompressor.compressible("text/event-stream")).isFalse();
        assertThat(SiteCompressor.compressible("Text/Event-Stream; charset=utf-8")).isFalse();
        assertThat(SiteCompressor.compressible("image/png")).isFalse();
        assertThat(SiteCompressor.compressible("application/octet-stream")).isFalse();
        assertThat(SiteCompressor.compressible(null)).isFalse();
    }
}
