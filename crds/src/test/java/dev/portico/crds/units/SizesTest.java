package dev.portico.crds.units;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class SizesTest {

    @ParameterizedTest
    @CsvSource({
        "0,        0",
        "1048576,  1048576",
        "+1024,    1024",
        "1Ki,      1024",
        "512Ki,    524288",
        "25Mi,     26214400",
        "1Gi,      1073741824",
        "1Ti,      1099511627776",
        "1Pi,      1125899906842624",
        "1Ei,      1152921504606846976",
        "1k,       1000",
        "1M,       1000000",
        "1G,       1000000000",
        "1T,       1000000000000",
        "1P,       1000000000000000",
        "1E,       1000000000000000000",
        "1.5Gi,    1610612736",
        "0.5Ki,    512",
        ".5Ki,     512",
        "1.5k,     1500",
        "1e3,      1000",
        "1E6,      1000000",
        "7Ei,      8070450532247928832",
        "9223372036854775807, 9223372036854775807",
    })
    void parsesKubernetesQuantities(String text, long bytes) {
        assertThat(Sizes.parse(text)).isEqualTo(bytes);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10 MB", "10MB", "10mi", "10KB", "10K", "Mi", "1.2.3", "10 Mi", " 10Mi", "1m", "0x10", "ten"})
    void rejectsWhatIsNotASize(String text) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Sizes.parse(text))
                .withMessage("\"" + text + "\" is not a size (use e.g. 512Ki, 25Mi, 1Gi or plain bytes)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1.5", "0.3Ki", "1e-1"})
    void rejectsFractionsOfBytes(String text) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Sizes.parse(text))
                .withMessageContaining("is not a whole number of bytes");
    }

    @ParameterizedTest
    @ValueSource(strings = {"8Ei", "9223372036854775808", "100000000000Gi", "1e999"})
    void rejectsOverflow(String text) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Sizes.parse(text))
                .withMessageContaining("too large");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-10Mi"})
    void rejectsNegativeSizes(String text) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Sizes.parse(text))
                .withMessageContaining("negative");
    }

    @ParameterizedTest
    @NullAndEmptySource
    void requiresText(String text) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Sizes.parse(text))
                .withMessageContaining("a size is required");
    }
}
