package dev.portico.operator.proxyclass;

import dev.portico.crds.v1alpha1.Exposure;
import dev.portico.crds.v1alpha1.ProxySiteSpec;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A ProxyClass's {@code service} as defaults under a site's own {@code spec.service}: each
 * field the site sets wins, annotations are the union (the site's value wins on a key). A
 * class default that the resulting type cannot have (a loadBalancerClass under a site that
 * chose ClusterIP) is dropped: it was meant for another type. The result is what the validator
 * checks and what the Service is made from.
 */
public final class ServiceDefaults {

    private ServiceDefaults() {}

    public static ProxySiteSpec apply(ProxySiteSpec spec, Exposure classDefaults) {
        if (classDefaults == null) {
            return spec;
        }
        return spec.withService(merge(spec.service(), classDefaults));
    }

    static Exposure merge(Exposure siteService, Exposure defaults) {
        Exposure site = siteService != null ? siteService : new Exposure(null, null, null, null, null, null);
        Map<String, String> annotations = null;
        if (notEmpty(defaults.annotations()) || notEmpty(site.annotations())) {
            annotations = new TreeMap<>();
            if (defaults.annotations() != null) {
                annotations.putAll(defaults.annotations());
            }
            if (site.annotations() != null) {
                annotations.putAll(site.annotations());
            }
        }
        Exposure.Type type = site.type() != null ? site.type() : defaults.type();
        boolean external = type == Exposure.Type.NodePort || type == Exposure.Type.LoadBalancer;
        boolean loadBalancer = type == Exposure.Type.LoadBalancer;
        return new Exposure(
                type,
                annotations,
                site.externalTrafficPolicy() != null ? site.externalTrafficPolicy()
                        : external ? defaults.externalTrafficPolicy() : null,
                site.loadBalancerClass() != null ? site.loadBalancerClass()
                        : loadBalancer ? defaults.loadBalancerClass() : null,
                notEmpty(site.loadBalancerSourceRanges()) ? site.loadBalancerSourceRanges()
                        : loadBalancer ? defaults.loadBalancerSourceRanges() : null,
                site.nodePorts());
    }

    private static boolean notEmpty(Map<?, ?> map) {
        return map != null && !map.isEmpty();
    }

    private static boolean notEmpty(List<?> list) {
        return list != null && !list.isEmpty();
    }
}
