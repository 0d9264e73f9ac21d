package dev.portico.runtime.admission;

/** 404 for a request no route takes, once the site's policies had their say. */
final class NotFoundStage implements AdmissionStage {

    static final NotFoundStage INSTANCE = new NotFoundStage();

    private NotFoundStage() {}

    @Override
    public Decision decide(AdmissionRequest request) {
        return request.route() == null ? Decision.Reject.NOT_FOUND : Decision.CONTINUE;
    }
}
