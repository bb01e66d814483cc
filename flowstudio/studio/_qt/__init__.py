"""The Qt layer of the studio: the document's signal adapter, undo commands, workers, and the widgets.

* :mod:`.app` starts the application; :mod:`.main_window` arranges the
  registered panels (:mod:`.panels`: the registry, and the Evidence,
  Posterior and Model docks; :mod:`.views`: the Samples and lambda sweep tabs).
* :mod:`.studio` is the behaviour behind the widgets, with
  :mod:`.evidence_flow` (images into sets) and :mod:`.project_files`
  (projects, autosave, crash recovery).
* :mod:`.document` (signals) and :mod:`.edits` (undo commands) wrap the pure
  document; :mod:`.engine_host` and :mod:`.workers` keep model work off the
  GUI thread.
* Small helpers: :mod:`.theme`, :mod:`.icons`, :mod:`.labels`, :mod:`.pixmaps`,
  :mod:`.thumbnails`, :mod:`.notifications`, :mod:`.jobs_widget`,
  :mod:`.dialogs`, :mod:`.actions`, :mod:`.settings`, :mod:`.file_drops`,
  :mod:`.screenshots`.
"""
