// What several editor files share, written once. The build (scripts/copy-assets.ts) puts into each
// .html the helpers its placeholder names, e.g. `/* nodes/editor-helpers.js: idTypes, blankOrWhole */`.
// Each helper is one top-level declaration, blocks apart by a blank line.

/** The TypedInput types an id (user, session, key) may come from. */
var idTypes = ['msg', 'flow', 'global', 'str', 'env', 'jsonata'];

/** An id as the request schemas take it: 1 to 256 characters, no "#", no control characters. */
var idPattern = /^[^#\u0000-\u001f\u007f]{1,256}$/;

/** A validator: blank (the default), or a whole number from min to max. */
function blankOrWhole(min, max) {
    return function (v) {
        if (v === '' || v === undefined) { return true; }
        var n = Number(v);
        return /^\s*\d+\s*$/.test(String(v)) && n >= min && n <= max;
    };
}

/** A named namespace needs its name, by the id rule; the other scopes have none. */
function namespaceName(v) {
    var scope = $('#node-input-scope').length ? $('#node-input-scope').val() : this.scope;
    return scope !== 'named' || idPattern.test(v || '');
}
