"""The personal data the catalogue holds: who uploaded an H5P package, and editors' recorded
voices (who recorded a step, and the recording itself).

Registered with lms/personal_data.py when the app is ready; lms/privacy reads it.
"""

from lms.personal_data import PersonalData, personal_data_provider


@personal_data_provider
class CatalogueData(PersonalData):
    # Part of the editors' work in the admin, declared by cms (cms/personal_data.py).
    models_for = {
        "editing": {
            "courses.H5PPackage": ("uploaded_by",),
            "courses.StepRecording": ("recorded_by", "file"),
        }
    }
