from django import forms


class ArchiveUploadForm(forms.Form):
    archive = forms.FileField(
        label="Signal archive (.jsonl or .jsonl.gz)",
        error_messages={"required": "Choose an archive file to upload."},
    )
