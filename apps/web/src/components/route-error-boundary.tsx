import { Component, type ErrorInfo, type ReactNode } from 'react';
import { Page } from './page';

interface RouteErrorBoundaryProps {
  /** Changes with the location, so moving to another screen clears the error. */
  resetKey: string;
  children: ReactNode;
}

interface RouteErrorBoundaryState {
  failedKey: string | null;
}

/**
 * Catches a screen that fails to render, most often a code chunk that cannot be downloaded after
 * a deploy, and offers a reload instead of a blank page. The header stays usable.
 */
export class RouteErrorBoundary extends Component<
  RouteErrorBoundaryProps,
  RouteErrorBoundaryState
> {
  override state: RouteErrorBoundaryState = { failedKey: null };

  static getDerivedStateFromError(): Partial<RouteErrorBoundaryState> {
    return { failedKey: '' };
  }

  override componentDidCatch(_error: unknown, _info: ErrorInfo): void {
    this.setState({ failedKey: this.props.resetKey });
  }

  override render(): ReactNode {
    const { failedKey } = this.state;
    if (failedKey === null || (failedKey !== '' && failedKey !== this.props.resetKey)) {
      return this.props.children;
    }
    return (
      <Page title="Something went wrong">
        <div role="alert" className="alert alert--error">
          <p>This page could not be shown. Reloading usually helps.</p>
          <button
            type="button"
            className="button"
            onClick={() => {
              window.location.reload();
            }}
          >
            Reload the page
          </button>
        </div>
      </Page>
    );
  }
}
