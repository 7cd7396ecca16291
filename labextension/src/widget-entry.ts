// The widget bundle's entry: its styles (the labextension's own) and the anywidget module.
import '../style/index.css';

export { default } from './widget';
