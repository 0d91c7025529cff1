package kernel

import (
	"github.com/fsc-kernel/fsc-kernel/script"
)

// kernelInfo is the content of kernel_info_reply.
type kernelInfo struct {
	Status                string       `json:"status"`
	ProtocolVersion       string       `json:"protocol_version"`
	Implementation        string       `json:"implementation"`
	ImplementationVersion string       `json:"implementation_version"`
	LanguageInfo          languageInfo `json:"language_info"`
	Banner                string       `json:"banner"`
	HelpLinks             []helpLink   `json:"help_links"`
	Debugger              bool         `json:"debugger"`
}

type languageInfo struct {
	Name              string `json:"name"`
	Version           string `json:"version"`
	Mimetype          string `json:"mimetype"`
	FileExtension     string `json:"file_extension"`
	PygmentsLexer     string `json:"pygments_lexer"`
	CodemirrorMode    string `json:"codemirror_mode"`
	NbconvertExporter string `json:"nbconvert_exporter"`
}

type helpLink struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

// newKernelInfo describes the kernel and its language.
func newKernelInfo(l script.LanguageInfo, version string) kernelInfo {
	return kernelInfo{
		Status:                "ok",
		ProtocolVersion:       protocolVersion,
		Implementation:        "fsc-kernel",
		ImplementationVersion: version,
		LanguageInfo: languageInfo{Name: l.Name, Version: l.Version, Mimetype: l.Mimetype, FileExtension: l.FileExtension,
			PygmentsLexer: l.PygmentsLexer, CodemirrorMode: l.CodemirrorMode, NbconvertExporter: l.Exporter},
		Banner: "fsc-kernel " + version + " (" + l.Syntax + "): Federated Secure Computing.\n" +
			"fsc is imported: " + l.Example + " computes over every member of the federation; values never leave the nodes.",
		HelpLinks: []helpLink{{"fsc-kernel", "https://github.com/fsc-kernel/fsc-kernel"}, {l.ManualText, l.ManualURL}},
	}
}

// kernelInfo answers kernel_info_request.
func (k *Kernel) kernelInfo(r *request) {
	k.reply(r, "kernel_info_reply", k.info)
}
