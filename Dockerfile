# syntax=docker/dockerfile:1
#
# Switchyard in a container: the CUDA kernels compiled by nvcc, the jars built by Maven on JDK 25,
# served from a jlink'd JDK 25 runtime on a slim base. A GPU needs only the host's driver
# (docker run --gpus all ...); the image holds no CUDA runtime, and without a GPU the server runs on
# the CPU backend.
#
#   docker build -t switchyard .
#   docker run --rm -p 8080:8080 -p 50051:50051 switchyard                       # demo model, CPU
#   docker run --rm --gpus all -p 8080:8080 -p 50051:50051 -v $PWD/models:/models \
#       -e SWITCHYARD_MODEL=/models/model.gguf switchyard                        # your model, GPU

ARG CUDA_DEVEL_IMAGE=nvidia/cuda:13.0.1-devel-ubuntu24.04
ARG BUILD_IMAGE=maven:3.9-eclipse-temurin-25
ARG RUNTIME_BASE=debian:bookworm-slim

# 1. kernels: one fatbin per kernels/src/main/cuda/*.cu, for sm_80, sm_90, sm_90a and compute_90 PTX
FROM ${CUDA_DEVEL_IMAGE} AS kernels
WORKDIR /src
COPY kernels/build-fatbin.sh kernels/iq-grids.sh kernels/
COPY kernels/src/main/cuda kernels/src/main/cuda
COPY kernels/src/main/resources/dev/switchyard/kernels/format/iq-grids.txt kernels/src/main/resources/dev/switchyard/kernels/format/
RUN bash kernels/build-fatbin.sh /fatbin

# 2. jars, with those fatbins as resources, and a runtime holding exactly the modules they need
FROM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY pom.xml ./
COPY proto proto
COPY kernels kernels
COPY cache cache
COPY engine engine
COPY server server
COPY loadtest loadtest
COPY --from=kernels /fatbin /fatbin
RUN mvn -B -q -ntp -DskipTests -Dswitchyard.fatbin.dir=/fatbin package
RUN jlink --add-modules "$(jdeps --ignore-missing-deps --multi-release 25 --print-module-deps \
          server/target/switchyard.jar),jdk.incubator.vector,jdk.unsupported,java.naming,jdk.crypto.ec" \
        --strip-debug --no-man-pages --no-header-files --compress=zip-6 --output /jre

# 3. runtime
FROM ${RUNTIME_BASE}
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/switchyard --create-home switchyard \
    && mkdir -p /models /var/cache/switchyard && chown switchyard /var/cache/switchyard
COPY --from=build /jre /opt/switchyard/jre
COPY --from=build /src/server/target/switchyard.jar /opt/switchyard/switchyard.jar
COPY --from=build /src/loadtest/target/switchyard-loadtest.jar /opt/switchyard/switchyard-loadtest.jar
# Every serve flag has a SWITCHYARD_* twin; these make the container listen on all interfaces, keep
# the demo model (written on first start when SWITCHYARD_MODEL is unset) in a writable place, and
# keep the Batch API's files (uploads, results) in the service user's home, a volume to mount to keep
# them across containers.
ENV SWITCHYARD_HOST=0.0.0.0 \
    SWITCHYARD_PORT=8080 \
    SWITCHYARD_GRPC_PORT=50051 \
    SWITCHYARD_CACHE=/var/cache/switchyard \
    SWITCHYARD_FILES_DIR=/var/lib/switchyard/files \
    JAVA_TOOL_OPTIONS="-XX:+UseParallelGC -XX:MaxRAMPercentage=75"
VOLUME ["/models"]
USER switchyard
EXPOSE 8080 50051
HEALTHCHECK --interval=15s --timeout=3s --start-period=120s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["/opt/switchyard/jre/bin/java", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:CompileCommand=quiet", "-XX:CompileCommand=dontinline,dev.switchyard.kernels.cpu.*::dot*", "-XX:CompileCommand=dontinline,dev.switchyard.kernels.cpu.*::decodeChunks", "-jar", "/opt/switchyard/switchyard.jar", "serve"]
