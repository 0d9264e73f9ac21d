package dev.portico.runtime.admission;

import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

/** A head the decoder could not read: 431 for too-large headers, 414 for a too-long request line, else 400. */
public final class MalformedHeadStage implements AdmissionStage {

    static final MalformedHeadStage INSTANCE = new MalformedHeadStage();

    private MalformedHeadStage() {}

    @Override
    public Decision decide(AdmissionRequest request) {
        var result = request.head().decoderResult();
        return result.isFailure() ? rejection(result.cause()) : Decision.CONTINUE;
    }

    /** The answer to a request (head or body) the decoder failed on. */
    public static Decision.Reject rejection(Throwable cause) {
        if (cause instanceof TooLongHttpHeaderException) {
            return Decision.Reject.HEADERS_TOO_LARGE;
        } else if (cause instanceof TooLongHttpLineException) {
            return Decision.Reject.URI_TOO_LONG;
        } else if (cause instanceof TooLongFrameException) {
            return Decision.Reject.HEADERS_TOO_LARGE;
        }
        return Decision.Reject.BAD_REQUEST;
    }
}
