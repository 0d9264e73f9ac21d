package dev.portico.runtime.admission;

/**
 * {@link RequestFraming} for HTTP/1.x heads: 400, and the connection closes, since its framing cannot be trusted.
 * HTTP/2 frames requests itself.
 */
final class FramingStage implements AdmissionStage {

    static final FramingStage INSTANCE = new FramingStage();

    private FramingStage() {}

    @Override
    public Decision decide(AdmissionRequest request) {
        if (!request.multiplexed() && !RequestFraming.acceptable(request.head())) {
            return Decision.Reject.BAD_REQUEST;
        }
        return Decision.CONTINUE;
    }
}
