package dev.portico.operator.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A ProxyClass's jvmOptions reach the proxy as JDK_JAVA_OPTIONS; the image keeps its defaults
 * in JAVA_TOOL_OPTIONS. That a class's option wins rests on the JVM reading the second before
 * the command line the first is part of: checked here on a real JVM, with the Dockerfile's own
 * defaults, rather than taken from the documentation.
 */
class JvmOptionsPrecedenceTest {

    private static final Path DOCKERFILE = Path.of(System.getProperty("basedir", "."))
            .resolve("../deploy/docker/proxy-runtime.Dockerfile").normalize();

    @Test
    void aClassOptionWinsOverTheImagesDefault() throws Exception {
        String imageDefaults = imageDefaults();
        assertThat(imageDefaults).contains("-XX:MaxRAMPercentage=50");

        assertThat(maxRamPercentage(imageDefaults, null)).as("the image's default alone").isEqualTo("50.000000");
        assertThat(maxRamPercentage(imageDefaults, "-XX:MaxRAMPercentage=70")).as("with a class's option")
                .isEqualTo("70.000000");
    }

    private static String imageDefaults() throws IOException {
        Matcher matcher = Pattern.compile("(?m)^ENV JAVA_TOOL_OPTIONS=\"([^\"]*)\"").matcher(Files.readString(DOCKERFILE));
        assertThat(matcher.find()).as("%s sets JAVA_TOOL_OPTIONS", DOCKERFILE).isTrue();
        return matcher.group(1);
    }

    private static String maxRamPercentage(String toolOptions, String classOptions) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+PrintFlagsFinal", "-version")
                .redirectErrorStream(true);
        builder.environment().put("JAVA_TOOL_OPTIONS", toolOptions);
        builder.environment().remove("JDK_JAVA_OPTIONS");
        if (classOptions != null) {
            builder.environment().put("JDK_JAVA_OPTIONS", classOptions);
        }
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Matcher flag = Pattern.compile("double MaxRAMPercentage\\s+=\\s+(\\S+)").matcher(output);
        assertThat(flag.find()).as(output).isTrue();
        return flag.group(1);
    }
}
