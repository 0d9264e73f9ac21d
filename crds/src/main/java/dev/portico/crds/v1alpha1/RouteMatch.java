package dev.portico.crds.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouteMatch(PathMatch path, List<String> hosts, List<HeaderMatch> headers) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PathMatch(PathMatchType type, String value) {}

    /** An exact, case-sensitive match of one request header's value. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HeaderMatch(String name, String value) {}
}
