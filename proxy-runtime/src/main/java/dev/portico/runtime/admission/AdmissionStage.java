package dev.portico.runtime.admission;

/**
 * One policy of admission: a decision over the request head, the resolved client and the compiled site, nothing
 * else. A stage is built once per compiled config and shared by every request and event loop, so it keeps no
 * per-request state; what it finds for later stages (the target, the client, the route) it sets on the
 * {@link AdmissionRequest}. The order of the stages is {@link AdmissionPipeline#compile}'s.
 */
@FunctionalInterface
public interface AdmissionStage {

    /** @return {@link Decision#CONTINUE}, or the outcome of the request */
    Decision decide(AdmissionRequest request);
}
