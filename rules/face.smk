# Faces: detection + alignment once per (dataset, detector, session), cached and shared by every
# face extractor naming that detector; then one embedding job per (dataset, extractor, session).


rule detect_faces:
    input:
        video=media_input("video"),
    output:
        faces=f"{RESULTS}/faces/{{dataset}}/{{detector}}/{{session}}.parquet",
        crops=f"{RESULTS}/faces/{{dataset}}/{{detector}}/{{session}}.crops.npz",
    wildcard_constraints:
        detector=name_regex(face_detectors()),
        session=unsharded_sessions("detect_faces"),
    params:
        detector=lambda wc: config["face_detectors"][wc.detector],
        hop_s=lambda wc: config["datasets"][wc.dataset]["hop_s"],
        row=session_row,
    log:
        f"{RESULTS}/logs/faces/{{dataset}}/{{detector}}/{{session}}.log",
    threads: 1
    resources:
        mem_mb=3000,
        gpu=face_detector_gpu,
    conda:
        "../envs/face.yaml"
    script:
        "../scripts/detect_faces.py"


rule extract_face:
    input:
        unpack(face_cache),
        video=media_input("video"),
    output:
        f"{RESULTS}/features/{{dataset}}/{{extractor}}/{{session}}.parquet",
    wildcard_constraints:
        extractor=name_regex(extractors_of("video")),
        session=unsharded_sessions("extract_face"),
    params:
        extractor=lambda wc: config["features"][wc.extractor],
        hop_s=lambda wc: config["datasets"][wc.dataset]["hop_s"],
        media=session_media,
    log:
        f"{RESULTS}/logs/features/{{dataset}}/{{extractor}}/{{session}}.log",
    threads: 1
    resources:
        mem_mb=4000,
        gpu=extractor_gpus,
    conda:
        "../envs/face.yaml"
    script:
        "../scripts/extract_face.py"
