-- An inspection's verdict can come from the printer itself: Bambu printers
-- report their AI detections (spaghetti, first-layer defects, foreign
-- objects, nozzle clumping) as HMS codes, and the gateway fails each part of
-- the plate the detection was seen on with `source: printer` (plate contract
-- §2 `inspection`; components/printer-gateway/src/hms.rs). Until now such an
-- event would have failed this check and its whole batch.
alter table inspections drop constraint inspections_source_check;
alter table inspections add constraint inspections_source_check
    check (source in ('simulated', 'camera', 'operator', 'printer'));
