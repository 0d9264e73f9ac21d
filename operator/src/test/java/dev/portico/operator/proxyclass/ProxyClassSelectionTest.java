package dev.portico.operator.proxyclass;

import static org.assertj.core.api.Assertions.assertThat;

import dev.portico.operator.api.ProxyClassResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyClassSelectionTest {

    @Test
    void aNamedClassIsThatClassDefaultOrNot() {
        ProxyClassResource edge = proxyClass("edge", false);
        ProxyClassSelection selection = ProxyClassSelection.of("edge", List.of(proxyClass("standard", true), edge));

        assertThat(selection.selected()).containsSame(edge);
    }

    @Test
    void aMissingClassIsUnresolvedNamingTheField() {
        ProxyClassSelection selection = ProxyClassSelection.of("edge", List.of(proxyClass("standard", true)));

        assertThat(selection).isInstanceOfSatisfying(ProxyClassSelection.Unresolved.class, unresolved -> {
            assertThat(unresolved.reason()).isEqualTo("ProxyClassNotFound");
            assertThat(unresolved.problem().toString()).isEqualTo("spec.proxyClassName: ProxyClass \"edge\" not found");
        });
        assertThat(selection.selected()).isEmpty();
    }

    @Test
    void noNameTakesTheDefaultClass() {
        ProxyClassResource standard = proxyClass("standard", true);

        assertThat(ProxyClassSelection.of(null, List.of(proxyClass("edge", false), standard)).selected()).containsSame(standard);
    }

    @Test
    void noNameAndNoDefaultIsTheOperatorsDefaults() {
        assertThat(ProxyClassSelection.of(null, List.of(proxyClass("edge", false))))
                .isInstanceOf(ProxyClassSelection.None.class);
        assertThat(ProxyClassSelection.of(null, List.of())).isInstanceOf(ProxyClassSelection.None.class);
    }

    @Test
    void onlyTheValueTrueMakesADefault() {
        ProxyClassResource notQuite = proxyClass("edge", false);
        notQuite.getMetadata().setAnnotations(Map.of(ProxyClassResource.DEFAULT_ANNOTATION, "yes"));

        assertThat(ProxyClassSelection.of(null, List.of(notQuite))).isInstanceOf(ProxyClassSelection.None.class);
    }

    @Test
    void twoDefaultsAreAmbiguousForSitesWithoutANameOnly() {
        List<ProxyClassResource> classes = List.of(proxyClass("standard", true), proxyClass("edge", true));

        assertThat(ProxyClassSelection.of(null, classes)).isInstanceOfSatisfying(ProxyClassSelection.Unresolved.class,
                unresolved -> {
                    assertThat(unresolved.reason()).isEqualTo("AmbiguousDefaultProxyClass");
                    assertThat(unresolved.problem().message()).contains("2 ProxyClasses", "(edge, standard)");
                });
        assertThat(ProxyClassSelection.of("edge", classes).selected()).isPresent();
    }

    static ProxyClassResource proxyClass(String name, boolean isDefault) {
        ProxyClassResource proxyClass = new ProxyClassResource();
        proxyClass.setMetadata(new ObjectMetaBuilder().withName(name)
                .withAnnotations(isDefault ? Map.of(ProxyClassResource.DEFAULT_ANNOTATION, "true") : null)
                .build());
        return proxyClass;
    }
}
