# The proxy runtime image. Build both images, tagged with the project version, with
#   deploy/docker/build-images.sh
# Multi-stage: Maven builds the shaded jar; the runtime stage is a distroless JRE
# (glibc, so BoringSSL, epoll, brotli and zstd natives load) running as non-root.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml mvnw ./
COPY .mvn .mvn
COPY crds crds
COPY proxy-runtime proxy-runtime
COPY operator operator
RUN ./mvnw -B -q -DskipTests package -pl proxy-runtime -am

FROM gcr.io/distroless/java17-debian12:nonroot
# The project version (build-images.sh passes it); the image's tag carries it too.
ARG VERSION=dev
LABEL org.opencontainers.image.title="portico-proxy-runtime" \
      org.opencontainers.image.version="${VERSION}"
WORKDIR /app
COPY --from=build /src/proxy-runtime/target/proxy-runtime.jar /app/proxy-runtime.jar
# 8080 http, 8443 https, 9901 admin (kept off the Service; see deploy/ and API.md).
EXPOSE 8080 8443 9901
USER 65532:65532
# Container-aware heap: half of the memory limit leaves the rest for
# direct buffers and natives; override with JAVA_TOOL_OPTIONS.
# The JVM's defaults go in JAVA_TOOL_OPTIONS, read before the command line, so that a
# ProxyClass's jvmOptions (JDK_JAVA_OPTIONS, part of the command line) win over them.
# TrimNativeHeapInterval: what the JIT compiler and TLS free goes back to the kernel every
# 5 s instead of staying in malloc's free lists (bench/README.md, "Peak RSS").
# InitialRAMPercentage: the heap starts at an eighth of the limit, not a 64th. From 8 MiB
# the serial collector's young generation stayed near 13 MiB under HTTP/2 load: a young
# collection every 90 ms and tenured garbage that cost a full collection every 2-3 s
# (bench/README.md, "Heap sizing").
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:InitialRAMPercentage=12.5 -XX:+ExitOnOutOfMemoryError -XX:TrimNativeHeapInterval=5000"
ENTRYPOINT ["java", "-jar", "/app/proxy-runtime.jar"]
CMD ["--site", "/etc/portico/site.yaml", "--secrets-dir", "/etc/portico/secrets", "--admin-bind", "0.0.0.0"]
