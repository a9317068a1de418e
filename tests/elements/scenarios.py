"""The Element scenarios: each imports published Elements through their linking modules
(activating the schemas), inserts sample rows, runs queries and the Elements' own helpers, and
populates; what it fetched goes into ``facts`` for the test to compare.

Imported only in the runner's subprocess. Each scenario imports its linking modules (and so the
Elements) inside its body on purpose: importing one activates its schemas, which must happen
after ``dj_sqla.install_as_datajoint()`` and only for the scenario being run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
from scenario_support import (
    SESSION,
    SUBJECT,
    check,
    dj_U,
    facts,
    fill_lab,
    fill_session,
    fill_subject,
    plain,
    spikeglx_meta,
    stage,
    write_video,
)


def scenario_lab() -> None:
    stage("importing and activating element_lab (lab, project)")
    from link_project import project

    lab = fill_lab()
    stage("inserting element-lab project rows")
    project.Project.insert1(
        {"project": "P1", "project_title": "A project", "project_start_date": dt.date(2026, 1, 1)}
    )
    project.ProjectPersonnel.insert1({"project": "P1", "user": "ann"})
    project.Study.insert1({"project": "P1", "study": "aim 1", "study_name": "first aim"})
    project.Study.Protocol.insert1({"project": "P1", "study": "aim 1", "protocol": "p-001"})
    project.Experiment.insert1(
        {"experiment": "e1", "project": "P1", "study": "aim 1", "lab": "lab1"}
    )
    stage("querying element-lab")
    members = (lab.LabMembership * lab.User & {"lab": "lab1"}).fetch(
        "user", "user_role", order_by="user"
    )
    facts["members"] = [list(map(plain, column)) for column in members]
    facts["project_end_date"] = plain(project.Project.fetch1("project_end_date"))
    facts["experiment_protocol"] = plain(project.Experiment.fetch1("protocol"))
    facts["lab_orgs"] = len(lab.Lab * lab.Lab.Organization)


def scenario_animal() -> None:
    stage("importing and activating element_animal (subject, genotyping, surgery)")
    from link_genotyping import genotyping
    from link_surgery import surgery

    subject = fill_subject()
    stage("inserting element-animal genotyping rows")
    subject.Strain.insert1({"strain": "C57", "strain_standard_name": "C57BL/6J"})
    subject.Subject.Strain.insert1({**SUBJECT, "strain": "C57"})
    subject.Allele.insert1({"allele": "cre"})
    subject.Allele.Source.insert1({"allele": "cre", "source": "JAX"})
    subject.Line.insert1({"line": "L1", "is_active": True})
    subject.Line.Allele.insert1({"line": "L1", "allele": "cre"})
    subject.Subject.Line.insert1({**SUBJECT, "line": "L1"})
    subject.Zygosity.insert1({**SUBJECT, "allele": "cre", "zygosity": "Heterozygous"})
    subject.Subject.insert1(
        {"subject": "dad", "sex": "M", "subject_birth_date": dt.date(2025, 6, 1)}
    )
    genotyping.Sequence.insert1({"sequence": "seq1", "base_pairs": "ACGT"})
    genotyping.AlleleSequence.insert1({"allele": "cre", "sequence": "seq1"})
    pair = {"line": "L1", "breeding_pair": "bp1"}
    genotyping.BreedingPair.insert1({**pair, "bp_start_date": dt.date(2025, 12, 1)})
    genotyping.BreedingPair.Father.insert1({**pair, "father": "dad"})
    genotyping.BreedingPair.Mother.insert1({**pair, "mother": "sub1"})
    litter = {**pair, "litter_birth_date": dt.date(2026, 2, 1)}
    genotyping.Litter.insert1({**litter, "num_of_pups": 5})
    genotyping.Weaning.insert1(
        {**litter, "weaning_date": dt.date(2026, 2, 22), "num_of_male": 2, "num_of_female": 3}
    )
    genotyping.Cage.insert1({"cage": "c1"})
    genotyping.SubjectCaging.insert1(
        {**SUBJECT, "caging_datetime": dt.datetime(2026, 1, 3, 9), "cage": "c1", "user": "bob"}
    )
    genotyping.GenotypeTest.insert1(
        {**SUBJECT, "sequence": "seq1", "genotype_test_id": "t1", "test_result": "Present"}
    )
    stage("inserting element-animal surgery rows")
    check(
        len(surgery.CoordinateReference()) == 6,
        "Lookup `contents = zip([...])` of surgery.CoordinateReference was not inserted",
    )
    surgery.BrainRegion.insert1({"region_acronym": "VISp", "region_name": "visual cortex"})
    implant = {
        **SUBJECT,
        "implant_date": dt.datetime(2026, 2, 1, 10),
        "implant_type": "opto",
        "target_region": "VISp",
        "target_hemisphere": "left",
    }
    surgery.Implantation.insert1({**implant, "surgeon": "ann"})
    surgery.Implantation.Coordinate.insert1(
        {**implant, "ap": 1.5, "ap_ref": "bregma", "ml": -2.25, "ml_ref": "bregma"}
    )
    stage("querying element-animal")
    facts["father"] = plain((genotyping.BreedingPair.Father & pair).fetch1("father"))
    facts["surgeons"] = plain((surgery.Implantation & SUBJECT).fetch("surgeon").tolist())
    facts["coordinate"] = plain(
        (surgery.Implantation.Coordinate & SUBJECT).fetch1("ap", "ml", "dv", "dv_ref")
    )
    facts["subjects_with_line"] = len(subject.Subject & subject.Subject.Line)


def scenario_session() -> None:
    stage("importing and activating element_session (session_with_datetime)")
    import link_session  # noqa: F401

    session = fill_session()
    stage("querying element-session")
    row = (session.Session * session.SessionDirectory & SUBJECT).fetch1()
    facts["session_row"] = plain(row)
    blob = (session.Session.Attribute & {"attribute_name": "weights"}).fetch1("attribute_blob")
    facts["attribute_blob"] = plain(blob)
    facts["experimenters"] = len(session.SessionExperimenter * session.Session)


def scenario_event() -> None:
    stage("importing and activating element_event (event, trial)")
    from link_event import event, trial

    fill_session()
    stage("inserting element-event rows")
    event.EventType.insert(
        [("trial_start", ""), ("cue", "a cue"), ("reward", ""), ("trial_end", "")]
    )
    event.BehaviorRecording.insert1({**SESSION, "recording_duration": 30.0})
    event.BehaviorRecording.File.insert1({**SESSION, "filepath": "sub1/behaviour.csv"})
    trial.TrialType.insert1({"trial_type": "go"})
    # Imported tables whose make raises: the Element says to insert with allow_direct_insert
    trial.Trial.insert(
        [
            {
                **SESSION,
                "trial_id": 1,
                "trial_type": "go",
                "trial_start_time": 0.0,
                "trial_stop_time": 10.0,
            },
            {**SESSION, "trial_id": 2, "trial_start_time": 10.0, "trial_stop_time": 20.0},
        ],
        allow_direct_insert=True,
    )
    # No `reward` falls inside a trial: when one does, the Element's own arithmetic adds a
    # float shift to the Decimal it fetched from `decimal(10, 4)` and fails (it does so on
    # DataJoint with MySQL too), so the alignment rows come back empty here.
    events = [("trial_start", 0.0), ("cue", 2.5), ("cue", 12.5), ("reward", 25.0)]
    event.Event.insert(
        [
            {**SESSION, "event_type": kind, "event_start_time": Decimal(str(start))}
            for kind, start in events
        ],
        allow_direct_insert=True,
    )
    trial.TrialEvent.insert(
        [{**SESSION, "trial_id": 1, "event_type": "cue", "event_start_time": Decimal("2.5")}],
        allow_direct_insert=True,
    )
    event.AlignmentEvent.insert1(
        {
            "alignment_name": "reward",
            "alignment_event_type": "reward",
            "alignment_time_shift": 0.0,
            "start_event_type": "trial_start",
            "start_time_shift": -1.0,
            "end_event_type": "trial_end",
            "end_time_shift": 1.0,
        }
    )
    stage("querying element-event (trial.get_trialized_alignment_event_times)")
    times = trial.get_trialized_alignment_event_times({"alignment_name": "reward"}, SUBJECT)
    facts["alignment"] = plain(times.to_dict("records"))
    stage("ingesting trials from CSV with element_interface.utils.ingest_csv_to_table")
    from element_interface.utils import ingest_csv_to_table

    csv_path = Path("trials.csv")
    csv_path.write_text(
        "subject,session_datetime,trial_id,trial_type,trial_start_time,trial_stop_time,notes\n"
        "sub1,2026-03-04 12:30:15,3,go,20.0,30.0,from a CSV file\n"
    )
    ingest_csv_to_table([csv_path], [trial.Trial()], skip_duplicates=True, allow_direct_insert=True)
    facts["trials"] = len(trial.Trial())
    facts["csv_trial"] = plain(
        (trial.Trial & {"trial_id": 3}).fetch1("trial_type", "trial_start_time")
    )
    stage("populating element-event (makes that raise NotImplementedError)")
    result = trial.Block.populate(suppress_errors=True)
    errors = result["error_list"] if isinstance(result, dict) else result
    facts["block_populate_errors"] = len(errors)
    facts["block_populate_message"] = str(errors[0][1]) if errors else None


def scenario_array_ephys() -> None:
    stage("importing and activating element_array_ephys (probe, ephys_acute, ephys_report)")
    from link_ephys import DATA_ROOT, ephys, ephys_report, probe

    stage("checking the probes element_array_ephys.probe.activate inserted")
    facts["probe_types"] = sorted(plain(probe.ProbeType.fetch("probe_type").tolist()))
    facts["electrodes_3b"] = len(probe.ProbeType.Electrode & {"probe_type": "neuropixels 1.0 - 3B"})
    fill_session()
    stage("inserting element-array-ephys rows")
    probe.Probe.insert1({"probe": "17131311", "probe_type": "neuropixels 1.0 - 3B"})
    insertion = {**SESSION, "insertion_number": 0}
    ephys.ProbeInsertion.insert1({**insertion, "probe": "17131311"})
    ephys.InsertionLocation.insert1(
        {
            **insertion,
            "skull_reference": "Bregma",
            "ap_location": 1.5,
            "ml_location": -2.0,
            "depth": -3.5,
        }
    )
    ephys.ClusteringParamSet.insert_new_params(
        clustering_method="kilosort2",
        paramset_desc="default",
        params={"fs": 30000, "Th": [10, 4]},
        paramset_idx=0,
    )
    ephys.ClusteringParamSet.insert_new_params(
        clustering_method="kilosort2", paramset_desc="tighter", params={"fs": 30000, "Th": [9, 3]}
    )
    ephys_report.QualityMetricCutoffs.insert_new_cutoffs(amplitude_cutoff_maximum=0.2)
    stage("querying element-array-ephys")
    facts["paramsets"] = sorted(plain(ephys.ClusteringParamSet.fetch("paramset_idx").tolist()))
    facts["params"] = plain((ephys.ClusteringParamSet & {"paramset_idx": 1}).fetch1("params"))
    facts["cutoffs"] = sorted(plain(ephys_report.QualityMetricCutoffs.fetch("cutoffs_id").tolist()))
    stage("populating ephys.EphysRecording (reads a small SpikeGLX metadata file)")
    folder = DATA_ROOT / "sub1" / "probe_imec0"
    folder.mkdir(parents=True)
    (folder / "rec_g0_t0.imec0.ap.meta").write_text(spikeglx_meta("17131311"))
    result = ephys.EphysRecording.populate(display_progress=False)
    facts["populate_result"] = plain(result)
    facts["recording"] = plain(
        (ephys.EphysRecording & insertion).fetch1(
            "acq_software", "sampling_rate", "recording_datetime", "recording_duration"
        )
    )
    facts["config_electrodes"] = len(probe.ElectrodeConfig.Electrode * ephys.EphysRecording)
    facts["ephys_files"] = plain(ephys.EphysRecording.EphysFile.fetch("file_path").tolist())
    stage("populating ephys.Clustering (its make updates the task, then finds no results)")
    task = {**insertion, "paramset_idx": 0}
    ephys.ClusteringTask.insert1(task)
    result = ephys.Clustering.populate(suppress_errors=True)
    errors = result["error_list"] if isinstance(result, dict) else result
    facts["clustering_errors"] = [str(error).split(":")[0] for _, error in errors]
    stage("updating ephys.ClusteringTask with update1")
    ephys.ClusteringTask.update1({**task, "clustering_output_dir": "sub1/kilosort"})
    facts["task_output_dir"] = plain((ephys.ClusteringTask & task).fetch1("clustering_output_dir"))
    stage("querying the next curation id as ephys_acute.Curation does")
    # element_array_ephys/ephys_acute.py:963, in Curation.create1_from_clustering_task
    facts["next_curation_id"] = plain(
        dj_U().aggr(ephys.Curation & task, n="ifnull(max(curation_id)+1,1)").fetch1("n")
    )


def scenario_optogenetics() -> None:
    stage("importing and activating element_optogenetics (with surgery)")
    from link_optogenetics import optogenetics, surgery

    fill_session()
    stage("inserting element-optogenetics rows")
    implant = {
        **SUBJECT,
        "implant_date": dt.datetime(2026, 2, 1, 10),
        "implant_type": "opto",
        "target_region": "VISp",
        "target_hemisphere": "left",
    }
    surgery.BrainRegion.insert1({"region_acronym": "VISp", "region_name": "visual cortex"})
    surgery.Implantation.insert1({**implant, "surgeon": "ann"})
    optogenetics.OptoWaveform.insert1(
        {
            "waveform_name": "square_10",
            "waveform_type": "Square",
            "normalized_waveform": np.linspace(0, 1, 11),
        }
    )
    optogenetics.OptoWaveform.Square.insert1(
        {
            "waveform_name": "square_10",
            "on_proportion": Decimal("0.50"),
            "off_proportion": Decimal("0.50"),
        }
    )
    optogenetics.OptoStimParams.insert1(
        {
            "opto_params_id": 1,
            "waveform_name": "square_10",
            "wavelength": 470,
            "power": Decimal("10.50"),
            "frequency": Decimal("1.0"),
            "duration": Decimal("241.0"),
        }
    )
    optogenetics.OptoProtocol.insert1(
        {**SESSION, "protocol_id": 1, "opto_params_id": 1, **implant, "device": "rig1"}
    )
    optogenetics.OptoEvent.insert1(
        {**SESSION, "protocol_id": 1, "stim_start_time": 241.0, "stim_end_time": 482.0}
    )
    stage("querying element-optogenetics")
    facts["power"] = plain((optogenetics.OptoStimParams & {"opto_params_id": 1}).fetch1("power"))
    facts["protocol_rows"] = len(
        optogenetics.OptoProtocol * optogenetics.OptoStimParams * optogenetics.OptoWaveform
    )


def scenario_calcium_imaging() -> None:
    stage("importing and activating element_calcium_imaging (scan, imaging, imaging_report)")
    from link_imaging import Equipment, imaging, scan

    fill_session()
    stage("inserting element-calcium-imaging rows")
    Equipment.insert1({"scanner": "2p-1"})
    scan_key = {**SESSION, "scan_id": 0}
    scan.Scan.insert1({**scan_key, "scanner": "2p-1", "acq_software": "ScanImage"})
    scan.ScanLocation.insert1({**scan_key, "lab": "lab1", "location": "room 1"})
    imaging.ProcessingParamSet.insert_new_params(
        processing_method="suite2p",
        paramset_idx=0,
        paramset_desc="default",
        params={"fs": 30, "nchannels": 1},
    )
    stage("inserting element-calcium-imaging scan metadata and a processing task")
    scan.ScanInfo.insert1(
        {
            **scan_key,
            "nfields": 1,
            "nchannels": 1,
            "ndepths": 1,
            "nframes": 100,
            "nrois": 0,
            "fps": 30.0,
            "bidirectional": False,
        },
        allow_direct_insert=True,
    )
    scan.ScanInfo.Field.insert1(
        {**scan_key, "field_idx": 0, "px_height": 512, "px_width": 512},
        allow_direct_insert=True,
    )
    task = {**scan_key, "paramset_idx": 0}
    imaging.ProcessingTask.insert1({**task, "processing_output_dir": "sub1/suite2p"})
    stage("querying element-calcium-imaging key_source properties")
    facts["processing_keys"] = len(imaging.Processing().key_source)
    # double-quoted literals and LIKE patterns in the Element's restriction strings
    facts["activity_keys"] = len(imaging.Activity().key_source)
    stage("populating imaging.Processing (its make finds no suite2p results)")
    result = imaging.Processing.populate(suppress_errors=True)
    errors = result["error_list"] if isinstance(result, dict) else result
    facts["processing_errors"] = [str(error).split(":")[0] for _, error in errors]
    stage("querying element-calcium-imaging")
    facts["acq_software"] = sorted(plain(scan.AcquisitionSoftware.fetch("acq_software").tolist()))
    facts["scans"] = len(scan.Scan * scan.ScanLocation)
    facts["paramset"] = plain(
        (imaging.ProcessingParamSet & {"paramset_idx": 0}).fetch1("processing_method")
    )


def scenario_electrode_localization() -> None:
    stage("importing and activating element_electrode_localization (ccf, eloc)")
    from link_localization import coordinate_framework

    stage("loading a CCF atlas with coordinate_framework.load_ccf_annotation")
    import nrrd  # optional: only element-electrode-localization reads atlas volumes

    # two regions: the ontology's row index is the label in the volume (as the Element reads it)
    Path("ontology.csv").write_text(
        "id,acronym,safe_name,color_hex_triplet\n"
        "997,root,root,FFFFFF\n"
        "385,VISp,visual cortex,08858C\n"
    )
    stack = np.zeros((2, 2, 2), dtype=np.uint16)
    stack[1] = 1  # the second AP plane is VISp
    nrrd.write("annotation.nrrd", stack)
    coordinate_framework.load_ccf_annotation(
        ccf_id=0,
        version_name="CCFv3",
        voxel_resolution=100,
        nrrd_filepath="annotation.nrrd",
        ontology_csv_filepath="ontology.csv",
    )
    regions = coordinate_framework.BrainRegionAnnotation
    coordinate_framework.ParentBrainRegion.insert1(
        {"ccf_id": 0, "acronym": "v_i_sp", "parent": "root"}
    )
    stage("querying element-electrode-localization")
    facts["ccf_voxels"] = len(coordinate_framework.CCF.Voxel())
    facts["visp_voxels"] = plain(
        sorted((regions.Voxel & {"acronym": "v_i_sp"}).fetch("x").tolist())
    )
    facts["regions"] = sorted(plain(regions.BrainRegion.fetch("acronym").tolist()))
    facts["parent"] = plain(coordinate_framework.ParentBrainRegion.fetch1("parent"))


def scenario_miniscope() -> None:
    stage("importing and activating element_miniscope (miniscope, miniscope_report)")
    from link_miniscope import AnatomicalLocation, miniscope

    fill_session()
    stage("inserting element-miniscope rows")
    AnatomicalLocation.insert1(
        {"recording_location_id": "loc1", "anatomical_description": "hippocampus CA1"}
    )
    recording = {**SESSION, "recording_id": 0}
    miniscope.Recording.insert1({**recording, "device": "rig1", "acq_software": "Miniscope-DAQ-V4"})
    miniscope.RecordingLocation.insert1({**recording, "recording_location_id": "loc1"})
    miniscope.ProcessingParamSet.insert_new_params(
        processing_method="caiman",
        paramset_id=0,
        paramset_desc="default",
        params={"fr": 30, "decay_time": 0.4},
    )
    stage("querying element-miniscope")
    facts["acq_software"] = sorted(
        plain(miniscope.AcquisitionSoftware.fetch("acq_software").tolist())
    )
    facts["recordings"] = len(miniscope.Recording * miniscope.RecordingLocation)
    facts["params"] = plain(miniscope.ProcessingParamSet.fetch1("params"))


def scenario_facemap() -> None:
    stage("importing and activating element_facemap")
    from link_facemap import DATA_ROOT, facemap

    fill_session()
    stage("inserting element-facemap rows")
    video = {**SESSION, "recording_id": 0}
    facemap.VideoRecording.insert1({**video, "device": "rig1"})
    facemap.VideoRecording.File.insert1({**video, "file_id": 0, "file_path": "sub1/face.avi"})
    write_video(DATA_ROOT / "sub1" / "face.avi", frames=15)
    stage("populating facemap.RecordingInfo (reads a small video)")
    facts["populate_result"] = plain(facemap.RecordingInfo.populate())
    facts["info"] = plain(
        (facemap.RecordingInfo & video).fetch1("px_height", "px_width", "nframes", "fps")
    )


def scenario_deeplabcut() -> None:
    stage("importing and activating element_deeplabcut (train, model)")
    from link_deeplabcut import DATA_ROOT, model, train

    fill_session()
    stage("inserting element-deeplabcut rows")
    train.TrainingParamSet.insert_new_params(
        paramset_desc="default", params={"shuffle": 1, "trainingsetindex": 0, "maxiters": 5}
    )
    train.VideoSet.insert1({"video_set_id": 0})
    train.VideoSet.File.insert1({"video_set_id": 0, "file_id": 0, "file_path": "sub1/a.avi"})
    train.TrainingTask.insert1({"video_set_id": 0, "paramset_idx": 1, "training_id": 0})
    model.BodyPart.insert_from_config({"bodyparts": ["nose", "tail"]}, prompt=False)
    recording = {**SESSION, "recording_id": 0}
    model.VideoRecording.insert1({**recording, "device": "rig1"})
    model.VideoRecording.File.insert1({**recording, "file_id": 0, "file_path": "sub1/a.avi"})
    write_video(DATA_ROOT / "sub1" / "a.avi", frames=20)
    stage("populating model.RecordingInfo (reads a small video)")
    facts["populate_result"] = plain(model.RecordingInfo.populate())
    facts["info"] = plain(
        (model.RecordingInfo & recording).fetch1(
            "px_height", "px_width", "nframes", "fps", "recording_duration"
        )
    )
    facts["body_parts"] = sorted(plain(model.BodyPart.fetch("body_part").tolist()))
    facts["paramset"] = plain(train.TrainingParamSet.fetch1("paramset_idx", "params"))


def scenario_zstack() -> None:
    stage("importing and activating element_zstack (volume, with calcium-imaging scan)")
    from link_zstack import DATA_ROOT, Equipment, scan, volume

    fill_session()
    stage("inserting element-zstack rows")
    Equipment.insert1({"scanner": "2p-1"})
    scan_key = {**SESSION, "scan_id": 0}
    scan.Scan.insert1({**scan_key, "scanner": "2p-1", "acq_software": "ScanImage"})
    import tifffile  # optional: only element-zstack reads TIFF stacks

    stack = np.arange(3 * 4 * 5, dtype=np.uint16).reshape(3, 4, 5)  # depth, height, width
    (DATA_ROOT / "sub1").mkdir(parents=True)
    tifffile.imwrite(DATA_ROOT / "sub1" / "volume.tif", stack)
    volume.SegmentationParamSet.insert_new_params(
        segmentation_method="cellpose", params={"diameter": 8}, paramset_desc="default"
    )
    stage("populating volume.Volume (reads a small TIFF stack)")
    facts["populate_result"] = plain(volume.Volume.populate())
    row = (volume.Volume & scan_key).fetch1()
    facts["volume"] = plain(
        [row["px_width"], row["px_height"], row["px_depth"], row["volume_file_path"]]
    )
    facts["brightness"] = plain(row["depth_mean_brightness"])
    facts["paramsets"] = plain(volume.SegmentationParamSet.fetch("paramset_idx").tolist())


SCENARIOS: dict[str, Callable[[], None]] = {
    name.removeprefix("scenario_"): function
    for name, function in dict(globals()).items()
    if name.startswith("scenario_")
}
