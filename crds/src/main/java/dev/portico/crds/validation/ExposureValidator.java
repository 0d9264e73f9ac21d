package dev.portico.crds.validation;

import dev.portico.crds.v1alpha1.Exposure;
import java.util.List;

/**
 * {@code spec.service}: what the API server would refuse on the Service, refused on the
 * ProxySite instead, naming the ProxySite's field (else the refusal would only show as a
 * failed apply of the Service, after the fact).
 */
final class ExposureValidator {

    private static final String PATH = "spec.service";

    private ExposureValidator() {}

    static void check(Violations violations, Exposure exposure, boolean hasTls) {
        if (exposure == null) {
            return;
        }
        Exposure.Type type = exposure.type() == null ? Exposure.Type.ClusterIP : exposure.type();
        if (exposure.annotations() != null) {
            exposure.annotations().forEach((key, value) -> annotation(violations, key, value));
        }
        if (exposure.externalTrafficPolicy() != null && type == Exposure.Type.ClusterIP) {
            violations.add(PATH + ".externalTrafficPolicy", "needs type NodePort or LoadBalancer");
        }
        if (exposure.loadBalancerClass() != null) {
            if (type != Exposure.Type.LoadBalancer) {
                violations.add(PATH + ".loadBalancerClass", "needs type LoadBalancer");
            }
            qualifiedName(violations, PATH + ".loadBalancerClass", exposure.loadBalancerClass());
        }
        sourceRanges(violations, type, exposure.loadBalancerSourceRanges());
        nodePorts(violations, type, exposure.nodePorts(), hasTls);
    }

    private static void annotation(Violations violations, String key, String value) {
        String path = PATH + ".annotations[" + key + "]";
        qualifiedName(violations, path, key);
        if (value == null) {
            violations.add(path, "needs a value (\"\" for an empty one)");
        }
    }

    private static void qualifiedName(Violations violations, String path, String name) {
        KubernetesNames.qualifiedNameProblem(name).ifPresent(problem -> violations.add(path, problem));
    }

    private static void sourceRanges(Violations violations, Exposure.Type type, List<String> ranges) {
        if (ranges == null || ranges.isEmpty()) {
            return;
        }
        String path = PATH + ".loadBalancerSourceRanges";
        if (type != Exposure.Type.LoadBalancer) {
            violations.add(path, "needs type LoadBalancer");
        }
        ValueChecks.cidrs(violations, path, ranges);
        for (int i = 0; i < ranges.size(); i++) {
            if (ranges.get(i) != null && !ranges.get(i).contains("/")) {
                violations.add(path + "[" + i + "]", "must be a CIDR with its prefix length, e.g. " + ranges.get(i)
                        + (ranges.get(i).contains(":") ? "/128" : "/32"));
            }
        }
    }

    private static void nodePorts(Violations violations, Exposure.Type type, Exposure.NodePorts ports, boolean hasTls) {
        if (ports == null) {
            return;
        }
        String path = PATH + ".nodePorts";
        if (type == Exposure.Type.ClusterIP) {
            violations.add(path, "needs type NodePort or LoadBalancer");
        }
        port(violations, path + ".http", ports.http());
        port(violations, path + ".https", ports.https());
        if (ports.http() != null && ports.http().equals(ports.https())) {
            violations.add(path + ".https", "must differ from nodePorts.http");
        }
        if (ports.https() != null && !hasTls) {
            violations.add(path + ".https", "needs spec.tls (without TLS the Service has no https port)");
        }
    }

    private static void port(Violations violations, String path, Integer port) {
        if (port != null && (port < 1 || port > 65535)) {
            violations.add(path, "must be a port, 1-65535 (and within the cluster's node port range, 30000-32767 "
                    + "by default), not " + port);
        }
    }
}
