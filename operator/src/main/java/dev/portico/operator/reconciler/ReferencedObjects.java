package dev.portico.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;

/**
 * How the informers over users' objects (the TLS Secrets and backend Services the sites name)
 * are kept small. Those objects carry no label the operator could select on, so the informers
 * list whole namespaces; what bounds them is what they keep of each object:
 *
 * <ul>
 *   <li>Only the fields the operator reads, plus name, namespace and resourceVersion. A
 *       kubectl-applied object's last-applied annotation and every object's managedFields
 *       are often larger than the object itself.</li>
 *   <li>The initial list is paged, so a start-up never holds one response with every Secret
 *       of the cluster.</li>
 * </ul>
 *
 * <p>JOSDK hands one item store to every per-namespace informer of an event source, and an
 * informer's re-list removes from its store whatever its own namespace did not list; so the
 * reduced store is used only when one informer watches all namespaces (the default
 * install). An install that watches a list of namespaces keeps whole objects, of those
 * namespaces only.
 */
final class ReferencedObjects {

    /** Items per page of an informer's list: the API server's own default chunk size. */
    static final long LIST_PAGE = 500;

    private ReferencedObjects() {}

    /**
     * Applies the paging, and the reduced store that keeps only {@code fields} (dotted paths
     * of simple names, e.g. {@code spec.ports}) when that is safe.
     */
    static <R extends HasMetadata> InformerEventSourceConfiguration.Builder<R> compact(
            InformerEventSourceConfiguration.Builder<R> builder, EventSourceContext<?> context, Class<R> type,
            String... fields) {
        builder.withInformerListLimit(LIST_PAGE);
        if (context.getControllerConfiguration().getInformerConfig().watchAllNamespaces()) {
            builder.withItemStore(reducedStore(context, type, fields));
        }
        return builder;
    }

    static <R extends HasMetadata> ItemStore<R> reducedStore(EventSourceContext<?> context, Class<R> type,
            String... fields) {
        return new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, type,
                context.getClient().getKubernetesSerialization(), fields);
    }
}
