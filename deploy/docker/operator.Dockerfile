# The operator image. Build both images, tagged with the project version, with
#   deploy/docker/build-images.sh
# Multi-stage like proxy-runtime.Dockerfile: Maven builds the operator's shaded jar
# (operator/target/operator.jar); the runtime stage is a distroless JRE running as
# non-root. deploy/operator/deployment.yaml runs it with a read-only root filesystem
# and an emptyDir on /tmp.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml mvnw ./
COPY .mvn .mvn
# Every module the root pom lists must be present for the reactor to start, even the
# ones -pl does not build.
COPY crds crds
COPY proxy-runtime proxy-runtime
COPY operator operator
RUN ./mvnw -B -q -DskipTests package -pl operator -am

FROM gcr.io/distroless/java17-debian12:nonroot
# The project version (build-images.sh passes it); the image's tag carries it too.
ARG VERSION=dev
LABEL org.opencontainers.image.title="portico-operator" \
      org.opencontainers.image.version="${VERSION}"
WORKDIR /app
COPY --from=build /src/operator/target/operator.jar /app/operator.jar
# 8081: /healthz, /readyz, /metrics (PORTICO_HEALTH_PORT).
EXPOSE 8081
USER 65532:65532
# Container-aware heap: the operator's memory is mostly its informer caches (heap), so
# it gets a larger share of the limit than the proxy; override with JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=70", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/operator.jar"]
