package dev.portico.operator.reconciler;

import dev.portico.operator.api.ProxySiteResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;
import java.util.function.UnaryOperator;

/**
 * What each of the operator's informers keeps of the objects it watches, so that its heap
 * grows with the sites it serves and not with the cluster (bench/README.md, "Operator
 * footprint"):
 *
 * <ul>
 *   <li>Users' objects the sites name (TLS Secrets, backend Services) carry no label to
 *       select on, so those informers list whole namespaces: they keep only the fields the
 *       operator reads, plus name, namespace and resourceVersion.</li>
 *   <li>The sites and the objects the operator owns are kept without their bookkeeping
 *       ({@link CachedState#withoutBookkeeping}), the proxy pods as {@link CachedState#podEssentials},
 *       the backends' EndpointSlices as {@link CachedState#endpointSliceEssentials}.</li>
 *   <li>Every initial list is paged, so a start-up never holds one response with every
 *       Secret of the cluster.</li>
 * </ul>
 *
 * <p>JOSDK hands one item store to every per-namespace informer of an event source, and an
 * informer's re-list removes from its store whatever its own namespace did not list; so the
 * trimming stores are used only when one informer watches all namespaces (the default
 * install). An install that watches a list of namespaces keeps whole objects, of those
 * namespaces only.
 */
public final class InformerStores {

    /** Items per page of an informer's list: the API server's own default chunk size. */
    static final long LIST_PAGE = 500;

    private InformerStores() {}

    /** The store for the sites themselves, for an operator that watches all namespaces. */
    public static ItemStore<ProxySiteResource> sites() {
        return new TransformingItemStore<>(CachedState::withoutBookkeeping);
    }

    /**
     * Paging, and the reduced store that keeps only {@code fields} (dotted paths of simple
     * names, e.g. {@code spec.ports}) when that is safe.
     */
    static <R extends HasMetadata> InformerEventSourceConfiguration.Builder<R> referenced(
            InformerEventSourceConfiguration.Builder<R> builder, EventSourceContext<?> context, Class<R> type,
            String... fields) {
        builder.withInformerListLimit(LIST_PAGE);
        if (watchesAllNamespaces(context)) {
            builder.withItemStore(new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, type,
                    context.getClient().getKubernetesSerialization(), fields));
        }
        return builder;
    }

    /** Paging, and the objects the operator owns without their bookkeeping when that is safe. */
    static <R extends HasMetadata> InformerEventSourceConfiguration.Builder<R> owned(
            InformerEventSourceConfiguration.Builder<R> builder, EventSourceContext<?> context) {
        return transformed(builder, context, CachedState::withoutBookkeeping);
    }

    /** Paging, and the proxy pods as the little the operator reads of them when that is safe. */
    static InformerEventSourceConfiguration.Builder<Pod> pods(InformerEventSourceConfiguration.Builder<Pod> builder,
            EventSourceContext<?> context) {
        return transformed(builder, context, CachedState::podEssentials);
    }

    /** Paging, and the backends' EndpointSlices as the little the operator reads of them when that is safe. */
    static InformerEventSourceConfiguration.Builder<EndpointSlice> endpointSlices(
            InformerEventSourceConfiguration.Builder<EndpointSlice> builder, EventSourceContext<?> context) {
        return transformed(builder, context, CachedState::endpointSliceEssentials);
    }

    private static <R extends HasMetadata> InformerEventSourceConfiguration.Builder<R> transformed(
            InformerEventSourceConfiguration.Builder<R> builder, EventSourceContext<?> context,
            UnaryOperator<R> transformation) {
        builder.withInformerListLimit(LIST_PAGE);
        if (watchesAllNamespaces(context)) {
            builder.withItemStore(new TransformingItemStore<>(transformation));
        }
        return builder;
    }

    private static boolean watchesAllNamespaces(EventSourceContext<?> context) {
        return context.getControllerConfiguration().getInformerConfig().watchAllNamespaces();
    }
}
