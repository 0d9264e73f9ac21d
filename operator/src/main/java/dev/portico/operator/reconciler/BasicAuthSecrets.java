package dev.portico.operator.reconciler;

import dev.portico.crds.v1alpha1.Auth;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import dev.portico.crds.v1alpha1.Route;
import dev.portico.crds.validation.Htpasswd;
import dev.portico.crds.validation.Violation;
import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The htpasswd Secrets of {@code auth.basic} (the site's and the routes'): their key {@code auth} goes into the
 * config bundle as {@code <name>.htpasswd}, mounted at {@code secrets/<name>/auth}. A Secret that is missing, has no
 * {@code auth} key or a line that is not bcrypt is reported in ResolvedRefs, naming the field and the line, and
 * nothing is rolled out: the proxy keeps the config it has, and never gets a site without the auth it asks for.
 */
final class BasicAuthSecrets {

    static final String EVENT_SOURCE = "basic-auth-secrets";
    /** The key of the htpasswd lines, as ingress-nginx's basic-auth Secrets have it. */
    static final String KEY = "auth";
    static final String OPAQUE = "Opaque";
    private static final String INDEX = "portico.dev/basic-auth-secret";

    private BasicAuthSecrets() {}

    /** Where each distinct Secret is first named: Secret name to the field path of its secretName. */
    static Map<String, String> referenced(ProxySiteSpec spec) {
        Map<String, String> names = new LinkedHashMap<>();
        if (spec == null) {
            return names;
        }
        add(names, spec.auth(), "spec.auth");
        List<Route> routes = spec.routes() == null ? List.of() : spec.routes();
        for (int i = 0; i < routes.size(); i++) {
            if (routes.get(i) != null) {
                add(names, routes.get(i).auth(), "spec.routes[" + i + "].auth");
            }
        }
        return names;
    }

    private static void add(Map<String, String> names, Auth auth, String path) {
        if (auth != null && auth.basic() != null && auth.basic().secretName() != null) {
            names.putIfAbsent(auth.basic().secretName(), path + ".basic.secretName");
        }
    }

    /**
     * Watches the Opaque Secrets of the watched namespaces, each reduced to its key {@code auth}
     * ({@link InformerStores}); the index maps a Secret back to the sites that name it, so a changed htpasswd
     * reconciles exactly those.
     */
    static InformerEventSource<Secret, ProxySiteResource> eventSource(EventSourceContext<ProxySiteResource> context) {
        context.getPrimaryCache().addIndexer(INDEX, site -> referenced(site.getSpec()).keySet().stream()
                .map(name -> indexKey(name, site.getMetadata().getNamespace()))
                .toList());
        var secrets = InformerEventSourceConfiguration.from(Secret.class, ProxySiteResource.class)
                .withName(EVENT_SOURCE)
                .withNamespacesInheritedFromController()
                .withFieldSelector(new FieldSelector(new FieldSelector.Field("type", OPAQUE)));
        var configuration = InformerStores.referenced(secrets, context, Secret.class, "type", "data." + KEY)
                .withSecondaryToPrimaryMapper(secret -> context.getPrimaryCache()
                        .byIndex(INDEX, indexKey(secret.getMetadata().getName(), secret.getMetadata().getNamespace()))
                        .stream()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()))
                .withPrimaryToSecondaryMapper((ProxySiteResource site) -> referenced(site.getSpec()).keySet().stream()
                        .map(name -> new ResourceID(name, site.getMetadata().getNamespace()))
                        .collect(Collectors.toSet()))
                .build();
        return new InformerEventSource<>(configuration, context);
    }

    private static String indexKey(String name, String namespace) {
        return namespace + "/" + name;
    }

    /** Reads each referenced Secret's htpasswd lines into {@code htpasswd}, or says what is wrong with them. */
    static StatusFactory.Verdict resolve(ProxySiteResource site, ProxySiteSpec spec, Context<ProxySiteResource> context,
            Map<String, String> htpasswd) {
        Map<String, String> referenced = referenced(spec);
        if (referenced.isEmpty()) {
            return StatusFactory.Verdict.valid();
        }
        @SuppressWarnings("unchecked")
        var secrets = (InformerEventSource<Secret, ProxySiteResource>)
                context.eventSourceRetriever().getEventSourceFor(Secret.class, EVENT_SOURCE);
        String namespace = site.getMetadata().getNamespace();
        return resolve(referenced, namespace, name -> secrets.get(new ResourceID(name, namespace))
                // Not Opaque, so not in the cache: read once by name, so the status can say what it is.
                .or(() -> Optional.ofNullable(context.getClient().secrets().inNamespace(namespace).withName(name).get())),
                htpasswd);
    }

    /** Pure: {@code lookup} finds a Secret of the site's namespace by name. */
    static StatusFactory.Verdict resolve(Map<String, String> referenced, String namespace,
            Function<String, Optional<Secret>> lookup, Map<String, String> htpasswd) {
        List<Violation> problems = new ArrayList<>();
        boolean anyMissing = false;
        for (Map.Entry<String, String> entry : referenced.entrySet()) {
            String name = entry.getKey();
            String path = entry.getValue();
            Optional<Secret> secret = lookup.apply(name);
            if (secret.isEmpty()) {
                anyMissing = true;
                problems.add(new Violation(path, "Secret \"" + name + "\" not found in namespace \"" + namespace + "\""));
                continue;
            }
            String problem = problem(secret.get(), name);
            if (problem != null) {
                problems.add(new Violation(path, problem));
                continue;
            }
            htpasswd.put(name, decode(secret.get().getData().get(KEY)));
        }
        if (problems.isEmpty()) {
            return StatusFactory.Verdict.valid();
        }
        return StatusFactory.Verdict.unresolved(anyMissing ? "SecretNotFound" : "InvalidSecret", problems);
    }

    /** Why {@code secret} cannot serve as htpasswd lines, or null if it can. */
    static String problem(Secret secret, String name) {
        String source = "Secret \"" + name + "\" key \"" + KEY + "\"";
        if (!OPAQUE.equals(secret.getType())) {
            return "Secret \"" + name + "\" is of type " + secret.getType() + "; it must be " + OPAQUE;
        }
        String value = secret.getData() == null ? null : secret.getData().get(KEY);
        if (value == null || value.isEmpty()) {
            return "Secret \"" + name + "\" has no key \"" + KEY + "\" (htpasswd lines, e.g. from htpasswd -B)";
        }
        try {
            Htpasswd.parse(decode(value), source);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        return null;
    }

    private static String decode(String base64) {
        return new String(Base64.getMimeDecoder().decode(base64), StandardCharsets.UTF_8);
    }
}
