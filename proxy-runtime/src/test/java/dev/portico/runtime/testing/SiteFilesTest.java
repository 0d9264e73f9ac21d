package dev.portico.runtime.testing;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class SiteFilesTest {

    @Test
    void writesAndAtomicallyOverwritesYaml(@TempDir Path dir) throws Exception {
        Path site = SiteFiles.write(dir, "apiVersion: portico.dev/v1alpha1\nkind: ProxySite\n");

        assertThat(site.getParent()).isEqualTo(dir);
        assertThat(Files.readString(site)).startsWith("apiVersion: portico.dev/v1alpha1");

        SiteFiles.overwrite(site, "kind: ProxySite\n# é\n");
        assertThat(Files.readString(site)).isEqualTo("kind: ProxySite\n# é\n");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(site);
        }
    }
}
